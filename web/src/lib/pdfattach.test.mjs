// The verification page's readers of outside bytes, pdfattach.js (the
// files attached to a certificate PDF) and timestamp.js (an RFC 3161
// token's time), against what poppler's pdfdetach and OpenSSL read in the
// same files (testdata/pdf/expected.json, checked against those tools by
// web/pdf_test.go); then fed thousands of mangled copies, which must be
// read or refused with the reader's own error, quickly, never otherwise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { PDFError, pdfAttachments } from "./pdfattach.js";
import { TimeStampError, readTimeStamp } from "./timestamp.js";

const dir = new URL("../../testdata/pdf/", import.meta.url);
const expected = JSON.parse(readFileSync(new URL("expected.json", dir), "utf8"));
const sha256 = (b) => createHash("sha256").update(b).digest("hex");

// xorshift32: the same mangled copies on every run, so a failure repeats.
function random(seed) {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

// mangle returns a copy of b changed the way a careless or hostile sender
// changes files: bytes flipped, cut short, a range dropped or repeated,
// digits and delimiters written over structure.
function mangle(b, rnd) {
  const junk = ["9999999999", "-1", "<<", ">>", "[", "]", "/Length 0", "/Filter/FlateDecode", " R", "obj", "endstream", "(", "\\"];
  const out = Array.from(b);
  const edits = 1 + rnd(4);
  for (let i = 0; i < edits && out.length > 0; i++) {
    const at = rnd(out.length);
    switch (rnd(5)) {
      case 0:
        out[at] ^= 1 << rnd(8);
        break;
      case 1:
        out.length = at;
        break;
      case 2:
        out.splice(at, 1 + rnd(64));
        break;
      case 3:
        out.splice(at, 0, ...out.slice(at, at + 1 + rnd(256)));
        break;
      default:
        out.splice(at, 0, ...Buffer.from(junk[rnd(junk.length)]));
    }
  }
  return Uint8Array.from(out);
}

for (const suite of ["intl", "gm"]) {
  const pdf = new Uint8Array(readFileSync(new URL(`${suite}.pdf`, dir)));
  const want = expected.suites[suite];

  test(`${suite}: the attachments are pdfdetach's`, async () => {
    const files = await pdfAttachments(pdf);
    assert.deepEqual([...files.keys()].sort(), Object.keys(want.attachments).sort());
    for (const [name, data] of files) assert.equal(sha256(data), want.attachments[name], name);
  });

  test(`${suite}: the checkpoint token's time is OpenSSL's`, async () => {
    const token = (await pdfAttachments(pdf)).get("checkpoint.tst");
    const ts = readTimeStamp(token);
    assert.equal(ts.genTime.replace(/\.\d+Z$/, "Z"), want.gen_time);
    assert.equal(ts.hashAlgorithm, suite === "gm" ? "sm3" : "sha256");
  });

  test(`${suite}: mangled PDFs are read or refused with PDFError`, async () => {
    const rnd = random(suite === "gm" ? 7 : 3);
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      const bad = mangle(pdf, rnd);
      const start = performance.now();
      try {
        const files = await pdfAttachments(bad);
        assert.ok(files instanceof Map);
      } catch (err) {
        if (!(err instanceof PDFError)) throw new Error(`mangled copy ${i}: ${err?.stack ?? err}`);
        refused++;
      }
      const ms = performance.now() - start;
      assert.ok(ms < 2000, `mangled copy ${i} took ${ms.toFixed(0)} ms`);
    }
    assert.ok(refused > 0, "no mangled copy was refused");
  });

  test(`${suite}: mangled tokens are read or refused with TimeStampError`, async () => {
    const token = (await pdfAttachments(pdf)).get("checkpoint.tst");
    const rnd = random(suite === "gm" ? 11 : 5);
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      try {
        const ts = readTimeStamp(mangle(token, rnd));
        assert.equal(typeof ts.genTime, "string");
      } catch (err) {
        if (!(err instanceof TimeStampError)) throw new Error(`mangled token ${i}: ${err?.stack ?? err}`);
        refused++;
      }
    }
    assert.ok(refused > 0, "no mangled token was refused");
  });
}
