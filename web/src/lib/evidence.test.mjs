// evidence.js's check of the receipt a node answers a deposit with: the
// statement it rebuilds from the request is Go's (testdata/keys, made by
// web/keys_test.go), and a receipt of another deposit of the same file
// and metadata is refused, as `jurichain deposit` refuses it.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { base64, fromBase64, fromHex, hex } from "./httpsig.js";
import { depositId } from "./deposit.js";
import { parseLeaf } from "../verify/deposit.js";
import { parseReceipt } from "../verify/index.js";

// The module draws in a page; a page's language is all it asks of one
// when loaded.
globalThis.document ??= { documentElement: { lang: "en" } };
const { depositBlob, signedStatement } = await import("./evidence.js");

const keyVectors = JSON.parse(readFileSync(new URL("../../testdata/keys/deposit.json", import.meta.url), "utf8"));
const verifyVectors = JSON.parse(readFileSync(new URL("../../testdata/verify/intl.json", import.meta.url), "utf8"));

for (const v of keyVectors.deposits) {
  test(`${v.name}: the statement rebuilt from the request is the one signed`, async () => {
    // Through JSON, as the request is kept and sent.
    const request = JSON.parse(JSON.stringify(v.request));
    assert.equal(hex(await signedStatement(v.suite, request)), v.statement);
  });
}

// prepared is what depositBlob keeps of a deposit it signed, rebuilt
// from a vector's receipt and opening, with the idempotency key given:
// the leaf's makes it that deposit, another makes it a deposit of the
// same file and metadata that the receipt does not prove.
async function prepared(c, idempotencyKey) {
  const leaf = parseLeaf(parseReceipt(new TextEncoder().encode(verifyVectors.receipts[c.receipt].text)).leaf);
  const opening = JSON.parse(c.opening);
  const { salt, suite, ...metadata } = opening;
  const key = idempotencyKey ?? leaf.idempotencyKey;
  const request = {
    digests: Object.fromEntries(leaf.digests.map((d) => [d.name, hex(d.value)])),
    size: Number(leaf.size),
    ...metadata,
    salt,
    depositor_key: base64(leaf.depositor),
    idempotency_key: key,
    signature: base64(leaf.signature),
  };
  return { request, opening: { ...opening, suite: "intl" }, id: await depositId("intl", leaf.depositor, key) };
}

test("a deposit's receipt must prove the statement this browser signed", async () => {
  const c = verifyVectors.cases.find((c) => c.name === "genuine deposit 0 with file digests and opening");
  const policy = verifyVectors.policies[c.policy];
  globalThis.fetch = async (url) => {
    assert.equal(String(url), "/policy");
    return new Response(policy);
  };
  const digests = Object.fromEntries(c.digests.map((d) => [d.algorithm, fromHex(d.hex)]));
  const receipt = verifyVectors.receipts[c.receipt].text;
  const run = async (p) =>
    depositBlob({
      session: null, // every step that would ask the node is done
      suite: "intl",
      origin: "edge.example/log",
      blob: new Blob([]),
      metadata: {},
      upload: false,
      state: { digests, prepared: p, result: { status: "committed", id: p.id, receipt } },
    });

  const ok = await run(await prepared(c));
  assert.equal(ok.receipt, receipt);
  assert.equal(ok.proven.leaf.depositId, ok.prepared.id);

  // The same file and metadata, signed as another statement: the node
  // answered with a receipt of a deposit this browser did not sign.
  await assert.rejects(run(await prepared(c, "web-" + "0".repeat(32))), (e) => {
    assert.equal(e.check, "entry", String(e));
    assert.equal(e.code, "expected-deposit");
    return true;
  });
  const same = await prepared(c);
  same.request.idempotency_key = "web-" + "1".repeat(32); // the id kept, the statement not
  await assert.rejects(run(same), (e) => e.check === "entry" && e.code === "expected-statement");
});
