// The key objects of keys.js: made at random and imported from the PEM
// files Go writes (testdata/keys/httpsig.json), for both suites. The
// IndexedDB half is not here: Node has no IndexedDB.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import sm2 from "sm-crypto/src/sm2/index.js";
import { LibError, hex, utf8 } from "./httpsig.js";
import { accountKeyID, exportPublicPEM, keyFromPEM, listKeys, newKey, sm3, suiteHash } from "./keys.js";

const vectors = JSON.parse(readFileSync(new URL("../../testdata/keys/httpsig.json", import.meta.url), "utf8"));
const pemOf = (suite) => vectors.suites.find((s) => s.suite === suite).private_pem;

async function verifies(key, msg, sig) {
  if (key.suite === "intl") {
    const pub = await crypto.subtle.importKey("raw", key.publicKey, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, pub, sig, msg);
  }
  return sm2.doVerifySignature(Array.from(msg), hex(sig), hex(key.publicKey), { der: true, hash: true });
}

for (const [suite, pubSize, alg] of [
  ["intl", 32, "ed25519"],
  ["gm", 65, "sm2"],
]) {
  test(`${suite}: a new key signs in the suite's form`, async () => {
    const key = await newKey(suite, { label: "laptop" });
    assert.equal(key.suite, suite);
    assert.equal(key.alg, alg);
    assert.equal(key.label, "laptop");
    assert.equal(key.publicKey.length, pubSize);
    assert.equal(key.id, accountKeyID(key.publicKey));
    assert.ok(!Number.isNaN(Date.parse(key.created)));
    assert.ok(Object.isFrozen(key));
    // SM2's r and s vary in length (DER drops leading zeros, adds a sign
    // byte): many signatures cover those forms.
    for (let i = 0; i < 12; i++) {
      const msg = utf8(`message ${i}`);
      const sig = await key.sign(msg);
      if (suite === "intl") assert.equal(sig.length, 64);
      else assert.ok(sig[0] === 0x30 && sig.length <= 72, hex(sig));
      assert.ok(await verifies(key, msg, sig), `signature ${i} does not verify`);
      assert.ok(!(await verifies(key, utf8(`message ${i}!`), sig)), "verifies for another message");
    }
    const other = await newKey(suite);
    assert.notDeepEqual(other.publicKey, key.publicKey);
  });

  test(`${suite}: the PEM key Go wrote imports with Go's public key`, async () => {
    const v = vectors.suites.find((s) => s.suite === suite);
    const key = await keyFromPEM(v.private_pem, suite, { label: "alice.key" });
    assert.equal(hex(key.publicKey), v.public_key);
    assert.equal(key.id, v.key_id);
    assert.equal(key.label, "alice.key");
    assert.equal(exportPublicPEM(key), v.public_pem);
    const msg = utf8("hello");
    assert.ok(await verifies(key, msg, await key.sign(msg)));
    // With Windows line ends and surrounding text, as some editors save it.
    const noisy = "saved by an editor\r\n" + v.private_pem.replace(/\n/g, "\r\n") + "\r\n";
    assert.equal(hex((await keyFromPEM(noisy, suite)).publicKey), v.public_key);
  });
}

test("intl: the private key kept is a non-extractable CryptoKey", async (t) => {
  // Watch the CryptoKeys WebCrypto hands keys.js.
  const made = [];
  const subtle = crypto.subtle;
  for (const name of ["generateKey", "importKey"]) {
    const real = subtle[name].bind(subtle);
    t.mock.method(subtle, name, async (...args) => {
      const k = await real(...args);
      made.push(k.privateKey ?? k);
      return k;
    });
  }
  const key = await newKey("intl");
  await keyFromPEM(pemOf("intl"), "intl");
  assert.deepEqual(Object.keys(key).sort(), ["alg", "created", "id", "label", "publicKey", "sign", "suite"]);
  // generateKey's private key; then the PEM's two imports: one to read
  // the public key, and the one kept.
  assert.equal(made.length, 3);
  for (const k of [made[0], made[2]]) {
    assert.equal(k.type, "private");
    assert.equal(k.extractable, false);
    await assert.rejects(subtle.exportKey("pkcs8", k));
  }
});

test("a key of the other suite is refused, naming the network's suite", async () => {
  await assert.rejects(keyFromPEM(pemOf("gm"), "intl"), (err) => {
    assert.ok(err instanceof LibError);
    assert.equal(err.code, "keys.wrong_suite");
    assert.match(err.message, /This is an SM2 key, but this network uses the international \(SHA-256, Ed25519\) suite/);
    assert.equal(
      err.text("zh"),
      "这是 SM2 密钥，但本网络使用国际（SHA-256、Ed25519）密码套件，其账户密钥为 Ed25519 密钥。请导入为本网络生成的密钥（在本网络上运行 `jurichain keygen`），或在此新建密钥。",
    );
    return true;
  });
  await assert.rejects(keyFromPEM(pemOf("intl"), "gm"), (err) => {
    assert.equal(err.code, "keys.wrong_suite");
    assert.match(err.message, /This is an Ed25519 key, but this network uses the GM \(SM3, SM2\) suite, whose account keys are SM2 keys/);
    return true;
  });
});

test("files that are not a usable private key are refused with what to do", async () => {
  const intl = vectors.suites.find((s) => s.suite === "intl");
  const body = (pem) => pem.split("\n").slice(1, -2).join("");
  const wrap = (type, b64) => `-----BEGIN ${type}-----\n${b64}\n-----END ${type}-----\n`;
  // An SM2 key whose public key is not its scalar's: the last byte of the
  // embedded point changed.
  const gmDer = Buffer.from(body(pemOf("gm")), "base64");
  gmDer[gmDer.length - 1] ^= 1;
  // A P-256 key (ecPublicKey with the prime256v1 curve).
  const p256 = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
  const p256Der = Buffer.from(await crypto.subtle.exportKey("pkcs8", p256.privateKey));
  for (const [what, text, suite, code] of [
    ["plain text", "hello", "intl", "keys.not_pem"],
    ["a public key", intl.public_pem, "intl", "keys.public_only"],
    ["an encrypted key", wrap("ENCRYPTED PRIVATE KEY", "MAA="), "intl", "keys.encrypted"],
    ["a traditional EC key", wrap("EC PRIVATE KEY", "MAA="), "gm", "keys.other_pem"],
    ["damaged base64", wrap("PRIVATE KEY", "MC4CAQAwBQYDK2VwBCIEI!!"), "intl", "keys.bad_der"],
    ["truncated DER", wrap("PRIVATE KEY", body(intl.private_pem).slice(0, 40)), "intl", "keys.bad_der"],
    ["a P-256 key", wrap("PRIVATE KEY", p256Der.toString("base64")), "gm", "keys.unsupported"],
    ["a mismatched SM2 public key", wrap("PRIVATE KEY", gmDer.toString("base64")), "gm", "keys.mismatch"],
    ["an unknown suite", intl.private_pem, "rsa", "keys.suite"],
  ]) {
    await assert.rejects(keyFromPEM(text, suite), (err) => err instanceof LibError && err.code === code, what);
  }
});

test("suite hashes: SHA-256 and SM3", async () => {
  assert.equal(hex(await sm3(utf8("abc"))), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  assert.equal(hex(await suiteHash("gm", utf8("a"), utf8("bc"))), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  assert.equal(hex(await suiteHash("intl", utf8("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

test("without IndexedDB the store says what to do", async () => {
  await assert.rejects(listKeys(), (err) => err.code === "keys.no_indexeddb" && /normal window/.test(err.message));
});
