// signRequest against Go's httpsig.Sign: the golden vectors of
// testdata/keys/httpsig.json (made by web/keys_test.go), byte for byte.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import sm2 from "sm-crypto/src/sm2/index.js";
import { LibError, base64, base64url, fromBase64, fromHex, hex, signRequest, utf8 } from "./httpsig.js";
import { keyFromPEM } from "./keys.js";

const vectors = JSON.parse(readFileSync(new URL("../../testdata/keys/httpsig.json", import.meta.url), "utf8"));

function signatureBytes(header) {
  const m = /^jurichain=:([A-Za-z0-9+/=]*):$/.exec(header);
  assert.ok(m, `Signature ${header} is not jurichain=:...:`);
  return fromBase64(m[1]);
}

// sm-crypto is an SM2 implementation independent of keys.js': it checks
// the DER form, Z_A with the default user ID, and the SM3 prehash.
function sm2Verify(publicKey, msg, sig) {
  return sm2.doVerifySignature(Array.from(msg), hex(sig), hex(publicKey), { der: true, hash: true });
}

for (const sv of vectors.suites) {
  for (const v of sv.requests) {
    test(`${sv.suite}: ${v.name} signs as httpsig.Sign`, async () => {
      const key = await keyFromPEM(sv.private_pem, sv.suite);
      assert.equal(hex(key.publicKey), sv.public_key);
      assert.equal(key.id, sv.key_id);
      let base;
      const recording = { ...key, sign: (b) => ((base = b), key.sign(b)) };
      const headers = await signRequest({
        method: v.method,
        url: v.url,
        body: v.body === null ? undefined : fromBase64(v.body),
        key: recording,
        alg: v.alg,
        keyId: v.key_id,
        now: new Date(v.created * 1000),
        nonce: v.nonce,
      });
      assert.equal(new TextDecoder().decode(base), v.signature_base);
      assert.deepEqual(Object.keys(headers).sort(), Object.keys(v.headers).sort());
      assert.equal(headers["Signature-Input"], v.headers["Signature-Input"]);
      assert.equal(headers["Content-Digest"], v.headers["Content-Digest"]);
      const pub = fromHex(sv.public_key);
      if (sv.alg === "ed25519") {
        // Ed25519 is deterministic: the very bytes Go wrote.
        assert.equal(headers.Signature, v.headers.Signature);
      } else {
        // SM2 signatures are random: each must verify, Go's and ours.
        assert.ok(sm2Verify(pub, utf8(v.signature_base), signatureBytes(headers.Signature)), "the JS signature does not verify");
        assert.ok(sm2Verify(pub, utf8(v.signature_base), signatureBytes(v.headers.Signature)), "Go's signature does not verify");
        assert.notEqual(headers.Signature, v.headers.Signature);
      }
    });
  }
}

test("defaults: key.id, key.alg, the clock and a 16-byte nonce", async () => {
  const sv = vectors.suites.find((s) => s.suite === "intl");
  const key = await keyFromPEM(sv.private_pem, "intl");
  const before = Math.floor(Date.now() / 1000);
  const h = await signRequest({ method: "get", url: "http://127.0.0.1:8080/v1/status", key });
  const m = /^jurichain=\("@method" "@authority" "@path" "@query"\);created=(\d+);keyid="([^"]+)";nonce="([A-Za-z0-9_-]+)";alg="ed25519"$/.exec(
    h["Signature-Input"],
  );
  assert.ok(m, h["Signature-Input"]);
  assert.ok(Number(m[1]) >= before && Number(m[1]) <= before + 5);
  assert.equal(m[2], key.id);
  assert.equal(fromBase64(m[3]).length, 16);
  assert.equal(h["Content-Digest"], undefined);
});

test("an empty body is not covered, as in Go", async () => {
  const sv = vectors.suites.find((s) => s.suite === "intl");
  const key = await keyFromPEM(sv.private_pem, "intl");
  const v = sv.requests.find((r) => r.name === "put without body");
  const args = { method: v.method, url: v.url, key, now: v.created * 1000, nonce: v.nonce };
  for (const body of [undefined, new Uint8Array(0), ""]) {
    assert.equal((await signRequest({ ...args, body }))["Signature-Input"], v.headers["Signature-Input"]);
  }
});

test("values a structured field cannot carry are refused, as httpsfv refuses them", async () => {
  const sv = vectors.suites.find((s) => s.suite === "intl");
  const key = await keyFromPEM(sv.private_pem, "intl");
  const args = { method: "GET", url: "http://127.0.0.1:8080/", key };
  for (const [what, extra] of [
    ["a non-ASCII keyid", { keyId: "key:证" }],
    ["a control character in the nonce", { nonce: "abc\ndefgh" }],
    ["a created time past 15 digits", { now: 1e19 }],
  ]) {
    await assert.rejects(signRequest({ ...args, ...extra }), (err) => err instanceof LibError && /^httpsig\./.test(err.code), what);
  }
  await assert.rejects(signRequest({ ...args, key: undefined }), (err) => err.code === "httpsig.key");
});

test("base64 helpers match Go's encodings", () => {
  const b = new Uint8Array([0xfb, 0xff, 0x01]);
  assert.equal(base64(b), "+/8B");
  assert.equal(base64url(b), "-_8B");
  assert.equal(base64(new Uint8Array([1])), "AQ==");
  assert.equal(base64url(new Uint8Array([1])), "AQ");
  assert.deepEqual(fromBase64("AQ"), new Uint8Array([1]));
  assert.deepEqual(fromBase64("-_8B"), b);
  const big = new Uint8Array(100_000).map((_, i) => i * 7);
  assert.deepEqual(fromBase64(base64(big)), big);
});

test("LibError texts come from the zh/en table", async () => {
  const err = await signRequest({ method: "GET", url: "http://h/", key: null }).catch((e) => e);
  assert.ok(err instanceof LibError);
  assert.match(err.text("en"), /Choose or import your key/);
  assert.match(err.text("zh"), /请先选择或导入您的密钥/);
  assert.equal(err.text("fr"), err.text("en"));
});
