// identityop.js against the vectors package identity wrote
// (testdata/identity/*.json, made by web/identity_test.go): the same note
// text byte for byte, the same key hash, the same signed note where the
// signature is deterministic, the same refusals and the same MayDecide
// table. With JURICHAIN_IDENTITY_OUT set (the Go test sets it), the
// decisions JavaScript signed are written there, for identity.Apply to
// check.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decisionText, mayDecide, noteKeyHash, reasonProblem, signDecision, transitions } from "./identityop.js";
import { keyFromPEM, newKey, suiteHash } from "./keys.js";

const dir = new URL("../../testdata/identity/", import.meta.url);
const written = {};

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// The account id of a key at an institution (identity.AccountID), for the
// random key's signer name: the suite hash over a tag, then the key.
async function accountID(suite, institution, publicKey) {
  const h = await suiteHash(suite, new TextEncoder().encode(`jurichain account\n${institution}\n`), publicKey);
  return "acct-" + hex(h.subarray(0, 10));
}

for (const suite of ["intl", "gm"]) {
  const v = JSON.parse(readFileSync(new URL(`${suite}.json`, dir), "utf8"));
  const out = (written[suite] = { fixed: [], random: [] });

  test(`${suite}: note texts equal identity.Op.Text`, () => {
    for (const d of v.decisions) {
      assert.equal(decisionText({ origin: v.origin, ...d }), d.text, `${d.action} ${JSON.stringify(d.reason)}`);
    }
  });

  test(`${suite}: key hash`, async () => {
    const pub = Uint8Array.from(Buffer.from(v.public_key, "hex"));
    assert.equal(await noteKeyHash(v.signer, suite, pub), v.key_hash);
  });

  test(`${suite}: signed with the vectors' key`, async () => {
    const key = await keyFromPEM(v.private_key_pem, suite);
    assert.equal(hex(key.publicKey), v.public_key);
    for (const d of v.decisions) {
      const signed = await signDecision({ origin: v.origin, ...d }, v.signer, key);
      if (d.signed) assert.equal(signed, d.signed, `${d.action} ${JSON.stringify(d.reason)}`);
      // The text, the separating line and the signer's name and key hash
      // are fixed; an SM2 signature is not.
      const prefix = `${d.text}\n\u2014 ${v.signer} `;
      assert.ok(signed.startsWith(prefix), `${signed} does not start with ${prefix}`);
      assert.ok(signed.endsWith("\n") && !signed.slice(prefix.length, -1).includes("\n"), signed);
      const sig = Buffer.from(signed.slice(prefix.length, -1), "base64");
      assert.equal(sig.readUInt32BE(0), v.key_hash);
      out.fixed.push(signed);
    }
  });

  test(`${suite}: signed with a key made here`, async () => {
    const key = await newKey(suite);
    out.random_key = hex(key.publicKey);
    out.random_signer = await accountID(suite, "court-a", key.publicKey);
    for (const d of v.decisions) out.random.push(await signDecision({ origin: v.origin, ...d }, out.random_signer, key));
  });

  test(`${suite}: the reasons the ledger refuses`, () => {
    for (const r of v.refused) {
      const p = reasonProblem(r.action, r.reason);
      assert.ok(p, `${JSON.stringify(r.reason)} is accepted; Go says: ${r.go}`);
      assert.equal(p.problem, r.problem, JSON.stringify(r.reason));
      assert.throws(() => decisionText({ origin: v.origin, account: "acct-000000000000000000a0", version: 1, action: r.action, reason: r.reason }));
    }
    for (const d of v.decisions) assert.equal(reasonProblem(d.action, d.reason), null, JSON.stringify(d.reason));
  });

  test(`${suite}: who may decide (identity.MayDecide)`, () => {
    for (const m of v.may_decide) assert.equal(mayDecide(m.actor, m.action, m.target), m.may, `${m.actor} ${m.action} ${m.target}`);
  });

  test(`${suite}: status transitions`, () => {
    for (const [action, [from, to]] of Object.entries(v.transitions)) {
      assert.deepEqual(transitions[action], { from, to }, action);
    }
    assert.equal(Object.keys(transitions).length, Object.keys(v.transitions).length);
  });
}

test("malformed operations are refused before signing", () => {
  const ok = { origin: "o", account: "acct-000000000000000000a0", version: 1, action: "approve", reason: "" };
  for (const bad of [
    { origin: "" },
    { origin: "two words" },
    { account: "acct-short" },
    { account: "user-000000000000000000a0" },
    { action: "add-key" },
    { version: -1 },
    { version: 2n ** 64n },
  ]) {
    assert.throws(() => decisionText({ ...ok, ...bad }), JSON.stringify(bad, (k, x) => (typeof x === "bigint" ? String(x) : x)));
  }
});

after(() => {
  const to = process.env.JURICHAIN_IDENTITY_OUT;
  if (!to) return;
  for (const [suite, out] of Object.entries(written)) writeFileSync(join(to, `${suite}.json`), JSON.stringify(out, null, 2));
});
