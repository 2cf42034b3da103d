// deposit.js against Go's deposit and api packages: the golden vectors of
// testdata/keys/deposit.json (made by web/keys_test.go), byte for byte.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import sm2 from "sm-crypto/src/sm2/index.js";
import {
  commitment,
  depositId,
  formatCoordinate,
  normalizeMetadata,
  openingBytes,
  prepareDeposit,
  signingMessage,
  statementBytes,
} from "./deposit.js";
import { LibError, fromBase64, fromHex, hex } from "./httpsig.js";
import { keyFromPEM, newKey } from "./keys.js";

const vectors = JSON.parse(readFileSync(new URL("../../testdata/keys/deposit.json", import.meta.url), "utf8"));

test("coordinates are written as Go's strconv.FormatFloat(v, 'g', -1, 64)", () => {
  for (const c of vectors.coordinates) assert.equal(formatCoordinate(c.value), c.text, String(c.value));
});

for (const v of vectors.deposits) {
  test(`${v.name}: the statement, opening and request are Go's`, async () => {
    const key = await keyFromPEM(v.private_pem, v.suite);
    const salt = fromBase64(v.salt);
    const meta = normalizeMetadata(v.metadata);
    assert.equal(hex(openingBytes(meta, salt)), v.opening_bytes);
    assert.equal(hex(await commitment(v.suite, meta, salt)), v.commitment);

    const digests = Object.fromEntries(Object.entries(v.digests).map(([alg, h]) => [alg, fromHex(h)]));
    const st = {
      digests: Object.entries(digests)
        .map(([algorithm, value]) => ({ algorithm, value }))
        .sort((a, b) => (a.algorithm === "sha256" ? -1 : b.algorithm === "sha256" ? 1 : 0)),
      size: v.size,
      commitment: fromHex(v.commitment),
      depositor: key.publicKey,
      idempotencyKey: v.idempotency_key,
    };
    assert.equal(hex(statementBytes(st)), v.statement);
    assert.equal(hex(signingMessage(v.origin, st)), v.signing_message);
    assert.equal(await depositId(v.suite, key.publicKey, v.idempotency_key), v.id);

    const got = await prepareDeposit({
      suite: v.suite,
      origin: v.origin,
      key,
      digests,
      size: v.size,
      metadata: v.metadata,
      salt,
      idempotencyKey: v.idempotency_key,
    });
    assert.equal(got.id, v.id);
    assert.equal(got.idempotencyKey, v.idempotency_key);
    assert.deepEqual(got.salt, salt);
    assert.deepEqual(got.opening, v.opening);
    // Through JSON, as the request travels.
    const request = JSON.parse(JSON.stringify(got.request));
    if (v.suite === "intl") {
      assert.deepEqual(request, v.request); // Ed25519 is deterministic
    } else {
      const { signature, ...rest } = request;
      const { signature: goSignature, ...goRest } = v.request;
      assert.deepEqual(rest, goRest);
      for (const sig of [signature, goSignature]) {
        assert.ok(
          sm2.doVerifySignature(Array.from(fromHex(v.signing_message)), hex(fromBase64(sig)), hex(key.publicKey), { der: true, hash: true }),
          "an SM2 deposit signature does not verify",
        );
      }
    }
  });
}

test("a new deposit gets a random salt and a web- idempotency key", async () => {
  const key = await newKey("intl");
  const args = { suite: "intl", origin: "o", key, digests: { sha256: new Uint8Array(32) }, size: 1, metadata: { title: "a", media_type: "text/plain" } };
  const a = await prepareDeposit(args);
  const b = await prepareDeposit(args);
  assert.match(a.idempotencyKey, /^web-[0-9a-f]{32}$/);
  assert.equal(a.salt.length, 32);
  assert.notEqual(a.idempotencyKey, b.idempotencyKey);
  assert.notDeepEqual(a.salt, b.salt);
  assert.equal(a.request.idempotency_key, a.idempotencyKey);
  // A retry with the kept salt and key names the same deposit.
  const again = await prepareDeposit({ ...args, salt: a.salt, idempotencyKey: a.idempotencyKey });
  assert.equal(again.id, a.id);
  assert.deepEqual(again.request, a.request);
});

test("bad inputs are refused before signing, naming the field", async () => {
  const key = await newKey("intl");
  const ok = { suite: "intl", origin: "o", key, digests: { sha256: new Uint8Array(32) }, size: 1, metadata: { title: "a", media_type: "text/plain" } };
  const gmKey = await newKey("gm");
  for (const [what, change, code] of [
    ["the suite's digest missing", { digests: { sm3: new Uint8Array(32) } }, "deposit.digest_missing"],
    ["a short digest", { digests: { sha256: new Uint8Array(31) } }, "deposit.digest_size"],
    ["an unknown digest", { digests: { sha256: new Uint8Array(32), md5: new Uint8Array(16) } }, "deposit.digest_alg"],
    ["a key of the other suite", { key: gmKey }, "deposit.key_suite"],
    ["no origin", { origin: "" }, "deposit.origin"],
    ["a negative size", { size: -1 }, "deposit.size"],
    ["no title", { metadata: { media_type: "text/plain" } }, "deposit.field_required"],
    ["a bad media type", { metadata: { title: "a", media_type: "text" } }, "deposit.media_type"],
    ["a long case", { metadata: { title: "a", media_type: "text/plain", case_ref: "案".repeat(86) } }, "deposit.field_long"],
    ["latitude alone", { metadata: { title: "a", media_type: "text/plain", capture: { latitude: 1 } } }, "deposit.coordinates"],
    ["latitude out of range", { metadata: { title: "a", media_type: "text/plain", capture: { latitude: 91, longitude: 0 } } }, "deposit.coordinate"],
    ["a short salt", { salt: new Uint8Array(16) }, "deposit.salt"],
    ["a spaced idempotency key", { idempotencyKey: "a b" }, "deposit.idempotency_key"],
  ]) {
    await assert.rejects(prepareDeposit({ ...ok, ...change }), (err) => err instanceof LibError && err.code === code, what);
  }
  const err = await prepareDeposit({ ...ok, metadata: { media_type: "text/plain" } }).catch((e) => e);
  assert.equal(err.message, "title: required. Fill it in and try again.");
  assert.equal(err.text("zh"), "title：必填。请填写后重试。");
});

test("empty optional metadata is left out, as Go's omitempty; -0 becomes 0", () => {
  assert.deepEqual(normalizeMetadata({ title: "a", media_type: "a/b", case_ref: "", capture: { device: "", time: "" } }), { title: "a", media_type: "a/b" });
  const m = normalizeMetadata({ title: "a", media_type: "a/b", capture: { latitude: -0, longitude: "1.5" } });
  assert.ok(Object.is(m.capture.latitude, 0));
  assert.equal(m.capture.longitude, 1.5);
});
