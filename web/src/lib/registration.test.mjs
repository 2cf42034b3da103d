// registration.js against the registrations package identity made
// (testdata/identity/*.json, written by web/identity_test.go): the same
// account id, canonical real-name data, commitment and operation text, and
// for Ed25519 (deterministic) the same signed note.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { hex, utf8 } from "./httpsig.js";
import { keyFromPEM, suites } from "./keys.js";
import { accountSigner, signNote } from "./identityop.js";
import { accountId, canonicalRealName, commitRealName, registrationText } from "./registration.js";

const dir = new URL("../../testdata/identity/", import.meta.url);

for (const suite of ["intl", "gm"]) {
  const v = JSON.parse(readFileSync(new URL(`${suite}.json`, dir), "utf8"));
  test(`${suite}: registrations as identity.NewRegistration makes them`, async () => {
    assert.ok(v.registrations.length >= 3, "no registration vectors");
    const key = await keyFromPEM(v.private_key_pem, suite);
    for (const r of v.registrations) {
      const what = `${r.kind} ${r.real_name.name}`;
      const account = await accountId(suite, r.institution, key.publicKey);
      assert.equal(account, r.account, what);
      assert.equal(new TextDecoder().decode(canonicalRealName(r.real_name)), r.canonical, what);
      const salt = Uint8Array.from(Buffer.from(r.salt, "hex"));
      const commitment = await commitRealName(suite, salt, r.real_name);
      assert.equal(hex(commitment), r.commitment, what);
      const text = registrationText({
        origin: v.origin,
        account,
        institution: r.institution,
        kind: r.kind,
        alg: suites[suite].signature,
        publicKey: key.publicKey,
        commitment,
      });
      assert.equal(text, r.text, what);
      const signed = await signNote(text, [await accountSigner(account, key)]);
      if (r.signed) assert.equal(signed, r.signed, what);
      assert.ok(signed.startsWith(`${text}\n\u2014 ${account} `), signed);
      assert.ok(utf8(signed).length > text.length);
    }
  });
}
