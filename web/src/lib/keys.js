// The account key store: an account's signing key, kept in this browser's
// IndexedDB (database "jurichain", store "keys"), and the signatures the
// network's suite uses (package suite): Ed25519 on an international
// network, SM2 with SM3 on a GM one.
//
// An Ed25519 key is a WebCrypto CryptoKey made or imported with
// extractable=false: IndexedDB keeps the CryptoKey object itself
// (structured clone), and no script, this one included, can read the
// private key back. WebCrypto has no SM2, so an SM2 key is computed in
// JavaScript (@noble/curves' curve arithmetic, hash-wasm's SM3) and its
// private scalar is stored as bytes in IndexedDB: any script running on
// this origin could read it. That is the honest limit of a GM key kept in
// a browser; the CLI's key file, or a hardware token, is safer.
//
// The store functions (generateKey, importPEM, listKeys, loadKey,
// deleteKey, updateKey) need IndexedDB; newKey and keyFromPEM make the same
// key objects in memory only, so the signing code runs where there is no
// IndexedDB (Node's tests).

import { weierstrass, DER } from "@noble/curves/abstract/weierstrass.js";
import { createSM3 } from "hash-wasm";
import { LibError, base64, base64url, concat, fromBase64, fromHex, hex, randomBytes, sha256, utf8 } from "./httpsig.js";

/** The crypto suites a network chooses at genesis, as package suite names them. */
export const suites = Object.freeze({
  intl: Object.freeze({ name: "intl", signature: "ed25519", contentDigest: "sha256", secondDigest: "sm3", publicKeySize: 32 }),
  gm: Object.freeze({ name: "gm", signature: "sm2", contentDigest: "sm3", secondDigest: "sha256", publicKeySize: 65 }),
});

/** The messages of this module's errors, in both languages (see LibError). */
export const messages = {
  en: {
    "keys.suite": 'Unknown crypto suite "{suite}": a network uses "intl" or "gm". Reload the page; if it persists, report it.',
    "keys.not_pem":
      'This file is not a private key in PEM form (a text file starting with "-----BEGIN PRIVATE KEY-----"). Choose the key file that `jurichain keygen --out FILE` wrote.',
    "keys.public_only":
      "This file holds only a public key. Choose the private key file (its first line reads -----BEGIN PRIVATE KEY-----).",
    "keys.encrypted":
      "This key file is protected by a passphrase. Decrypt it first (openssl pkey -in KEY -out PLAIN.key), import PLAIN.key, then delete PLAIN.key.",
    "keys.other_pem":
      'This is a "{type}" file, not a PKCS #8 private key. Choose the key file that `jurichain keygen` wrote, or convert it with openssl pkey -in KEY -out NEW.key.',
    "keys.bad_der": "The key file is damaged (its contents are not a PKCS #8 private key). Choose another copy of the key file.",
    "keys.unsupported":
      "This is neither an Ed25519 nor an SM2 key. Account keys are made with `jurichain keygen --out FILE`; use such a key.",
    "keys.wrong_suite":
      "This is an {keyAlg} key, but this network uses the {suite} suite, whose account keys are {alg} keys. Import a key made for this network (`jurichain keygen` on this network), or create a new key here.",
    "keys.bad_scalar": "The SM2 private key in this file is out of range, so no signature could be made with it. Choose another key file.",
    "keys.mismatch": "The public key stored in this key file does not belong to its private key: the file is damaged. Choose another copy.",
    "keys.no_webcrypto":
      "This browser cannot make Ed25519 signatures (WebCrypto Ed25519 is missing, or the page is not opened over https or on localhost). Use a current browser and open the portal by its https address.",
    "keys.no_indexeddb":
      "This browser does not let the portal keep keys (IndexedDB is unavailable, as in some private windows). Open the portal in a normal window, or use the CLI.",
    "keys.storage":
      "The browser could not store or read the key ({detail}). Allow this site to keep data (site settings), free some disk space, and try again.",
    "keys.not_found": "There is no key {id} in this browser. Import it from its key file, or create a new key.",
  },
  zh: {
    "keys.suite": "未知的密码套件“{suite}”：网络只使用 “intl” 或 “gm”。请刷新页面；如仍出现，请报告此问题。",
    "keys.not_pem":
      "该文件不是 PEM 格式的私钥（以“-----BEGIN PRIVATE KEY-----”开头的文本文件）。请选择 `jurichain keygen --out FILE` 生成的密钥文件。",
    "keys.public_only": "该文件只含公钥。请选择私钥文件（首行为 -----BEGIN PRIVATE KEY-----）。",
    "keys.encrypted":
      "该密钥文件受口令保护。请先解密（openssl pkey -in KEY -out PLAIN.key），导入 PLAIN.key 后将其删除。",
    "keys.other_pem":
      "这是“{type}”文件，不是 PKCS #8 私钥。请选择 `jurichain keygen` 生成的密钥文件，或用 openssl pkey -in KEY -out NEW.key 转换。",
    "keys.bad_der": "密钥文件已损坏（内容不是 PKCS #8 私钥）。请选择该密钥文件的其他副本。",
    "keys.unsupported": "这既不是 Ed25519 密钥，也不是 SM2 密钥。账户密钥由 `jurichain keygen --out FILE` 生成，请使用此类密钥。",
    "keys.wrong_suite":
      "这是 {keyAlg} 密钥，但本网络使用{suite_zh}密码套件，其账户密钥为 {alg} 密钥。请导入为本网络生成的密钥（在本网络上运行 `jurichain keygen`），或在此新建密钥。",
    "keys.bad_scalar": "该文件中的 SM2 私钥超出取值范围，无法用于签名。请选择其他密钥文件。",
    "keys.mismatch": "该密钥文件中的公钥与其私钥不匹配：文件已损坏。请选择其他副本。",
    "keys.no_webcrypto":
      "此浏览器无法生成 Ed25519 签名（缺少 WebCrypto Ed25519，或页面未通过 https 或 localhost 打开）。请使用新版浏览器，并通过 https 地址打开门户。",
    "keys.no_indexeddb": "此浏览器不允许门户保存密钥（IndexedDB 不可用，例如某些无痕窗口）。请在普通窗口中打开门户，或使用命令行工具。",
    "keys.storage": "浏览器无法保存或读取密钥（{detail}）。请允许本网站保存数据（网站设置），释放磁盘空间后重试。",
    "keys.not_found": "此浏览器中没有密钥 {id}。请从密钥文件导入，或新建密钥。",
  },
};

const suiteTitles = { intl: "international (SHA-256, Ed25519)", gm: "GM (SM3, SM2)" };
const suiteTitlesZh = { intl: "国际（SHA-256、Ed25519）", gm: "国密（SM3、SM2）" };
const algTitles = { ed25519: "Ed25519", sm2: "SM2" };

function suiteOf(name) {
  const s = suites[name];
  if (!s) throw new LibError(messages, "keys.suite", { suite: String(name) });
  return s;
}

/** The keyid that names an account key itself: "key:" and the public key in base64url (httpapi.AccountKeyID). */
export function accountKeyID(publicKey) {
  return "key:" + base64url(publicKey);
}

/** The SM3 hash of the concatenated parts. */
export async function sm3(...parts) {
  const h = await createSM3();
  h.init();
  for (const p of parts) h.update(p);
  return h.digest("binary");
}

/** The hash named alg ("sha256" or "sm3") of the concatenated parts. */
export async function digest(alg, ...parts) {
  if (alg === "sha256") return sha256(concat(...parts));
  if (alg === "sm3") return sm3(...parts);
  throw new TypeError(`digest: unknown algorithm ${alg}`);
}

/** The hash of the suite (SHA-256 or SM3) of the concatenated parts, as suite.Hash. */
export function suiteHash(suite, ...parts) {
  return digest(suiteOf(suite).contentDigest, ...parts);
}

// SM2 (GB/T 32918.5): the curve, and the parts of Z_A that do not depend
// on the key: ENTL, the default user ID 1234567812345678, a, b, xG, yG.
const sm2Curve = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};
const SM2 = weierstrass(sm2Curve);
const N = sm2Curve.n;
const SM2_USER_ID = utf8("1234567812345678");

function int256(v) {
  return fromHex(v.toString(16).padStart(64, "0"));
}

function bigintOf(bytes) {
  return bytes.length === 0 ? 0n : BigInt("0x" + hex(bytes));
}

const zaPrefix = concat(
  new Uint8Array([(SM2_USER_ID.length * 8) >> 8, (SM2_USER_ID.length * 8) & 0xff]),
  SM2_USER_ID,
  int256(sm2Curve.a),
  int256(sm2Curve.b),
  int256(sm2Curve.Gx),
  int256(sm2Curve.Gy),
);

// A uniformly random integer in [1, max], by rejection: max is close to
// 2^256, so a draw is rarely refused.
function randomScalar(max) {
  for (;;) {
    const v = bigintOf(randomBytes(32));
    if (v >= 1n && v <= max) return v;
  }
}

function sm2Public(d) {
  return SM2.BASE.multiply(d).toBytes(false);
}

/**
 * An SM2 signature of msg (GB/T 32918.2): over e = SM3(Z_A || msg) with
 * the default user ID, encoded as DER SEQUENCE {r, s} (GM/T 0009), as
 * gmsm's SignWithSM2 and sm2.VerifyASN1WithSM2 use.
 */
async function sm2Sign(d, publicKey, msg) {
  const za = await sm3(zaPrefix, publicKey.subarray(1));
  const e = bigintOf(await sm3(za, msg));
  const { Fn } = SM2;
  const inv = Fn.inv(Fn.create(1n + d));
  for (;;) {
    const k = randomScalar(N - 1n);
    const r = Fn.create(e + SM2.BASE.multiply(k).x);
    if (r === 0n || r + k === N) continue;
    const s = Fn.create(inv * Fn.create(k - r * d));
    if (s === 0n) continue;
    return fromHex(DER.hexFromSig({ r, s }));
  }
}

// A key object: what the other modules sign with. The private key is
// captured by sign and is not a property.
function keyObject({ id, suite, publicKey, label, created, account }, sign) {
  const key = { id, suite, alg: suites[suite].signature, publicKey, label, created, sign };
  if (account !== undefined) key.account = account;
  return Object.freeze(key);
}

function ed25519Signer(privateKey) {
  return async (bytes) => new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, bytes));
}

function sm2Signer(scalar, publicKey) {
  const d = bigintOf(scalar);
  return (bytes) => sm2Sign(d, publicKey, bytes);
}

// A stored record: the key object's fields plus the private key (a
// non-extractable CryptoKey, or the SM2 scalar's 32 bytes).
function fromRecord(rec) {
  const sign = rec.suite === "intl" ? ed25519Signer(rec.privateKey) : sm2Signer(rec.privateKey, rec.publicKey);
  return keyObject(rec, sign);
}

function newRecord(suite, publicKey, privateKey, label) {
  return {
    id: accountKeyID(publicKey),
    suite,
    publicKey,
    privateKey,
    label: label ?? "",
    created: new Date().toISOString(),
  };
}

function noWebCrypto(err) {
  return new LibError(messages, "keys.no_webcrypto", {}, err);
}

async function generateRecord(suite, label) {
  suiteOf(suite);
  if (suite === "intl") {
    let pair;
    try {
      pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    } catch (err) {
      throw noWebCrypto(err);
    }
    const pub = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    return newRecord(suite, pub, pair.privateKey, label);
  }
  const d = randomScalar(N - 2n); // GB/T 32918.1 excludes n-1
  return newRecord(suite, sm2Public(d), int256(d), label);
}

/**
 * A new key of suite ("intl" or "gm"), in memory only: generateKey also
 * stores it.
 */
export async function newKey(suite, { label } = {}) {
  return fromRecord(await generateRecord(suite, label));
}

// DER, only as far as a PKCS #8 key needs: tag, length, value.
function readTLV(b, off) {
  if (off + 2 > b.length) throw new Error("truncated");
  const tag = b[off];
  let len = b[off + 1];
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > b.length) throw new Error("bad length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i];
    start += n;
  }
  const end = start + len;
  if (end > b.length) throw new Error("truncated");
  return { tag, value: b.subarray(start, end), end };
}

function readAll(b) {
  const items = [];
  for (let off = 0; off < b.length; ) {
    const t = readTLV(b, off);
    items.push(t);
    off = t.end;
  }
  return items;
}

const OID_ED25519 = "2b6570"; // 1.3.101.112
const OID_EC_PUBLIC_KEY = "2a8648ce3d0201"; // 1.2.840.10045.2.1
const OID_SM2 = "2a811ccf5501822d"; // 1.2.156.10197.1.301

// SubjectPublicKeyInfo prefixes, as Go's x509 and gmsm's smx509 write them.
const SPKI_ED25519 = fromHex("302a300506032b6570032100");
const SPKI_SM2 = fromHex("3059301306072a8648ce3d020106082a811ccf5501822d034200");

// parsePKCS8 reads PrivateKeyInfo (RFC 5208) and says which algorithm the
// key is for and its inner private key: an Ed25519 seed, or an SM2
// ECPrivateKey's scalar and (optional) public key.
function parsePKCS8(der) {
  try {
    const top = readTLV(der, 0);
    if (top.tag !== 0x30 || top.end !== der.length) throw new Error("not a sequence");
    const [version, algId, privateKey] = readAll(top.value);
    if (version?.tag !== 0x02 || algId?.tag !== 0x30 || privateKey?.tag !== 0x04) throw new Error("not PKCS #8");
    const [oid, params] = readAll(algId.value);
    if (oid?.tag !== 0x06) throw new Error("no algorithm");
    const alg = hex(oid.value);
    if (alg === OID_ED25519) {
      const seed = readTLV(privateKey.value, 0);
      if (seed.tag !== 0x04 || seed.value.length !== 32) throw new Error("bad ed25519 key");
      return { alg: "ed25519" };
    }
    const sm2 = alg === OID_SM2 || (alg === OID_EC_PUBLIC_KEY && params?.tag === 0x06 && hex(params.value) === OID_SM2);
    if (!sm2) return { alg: alg === OID_EC_PUBLIC_KEY ? "ECDSA" : "other" };
    const ec = readTLV(privateKey.value, 0);
    if (ec.tag !== 0x30) throw new Error("bad ECPrivateKey");
    const fields = readAll(ec.value);
    if (fields[0]?.tag !== 0x02 || fields[1]?.tag !== 0x04 || fields[1].value.length > 32) throw new Error("bad ECPrivateKey");
    const scalar = new Uint8Array(32);
    scalar.set(fields[1].value, 32 - fields[1].value.length);
    let publicKey;
    for (const f of fields.slice(2)) {
      if (f.tag === 0xa1) {
        const bits = readTLV(f.value, 0);
        if (bits.tag !== 0x03 || bits.value[0] !== 0) throw new Error("bad public key");
        publicKey = bits.value.subarray(1);
      }
    }
    return { alg: "sm2", scalar, publicKey };
  } catch (err) {
    throw new LibError(messages, "keys.bad_der", {}, err);
  }
}

function pemBlock(text) {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(String(text));
  if (!m) throw new LibError(messages, "keys.not_pem");
  let der;
  try {
    der = fromBase64(m[2].replace(/\s+/g, ""));
  } catch (err) {
    throw new LibError(messages, "keys.bad_der", {}, err);
  }
  return { type: m[1], der };
}

function equalBytes(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function recordFromPEM(text, suite, label) {
  const want = suiteOf(suite);
  const { type, der } = pemBlock(text);
  if (type === "PUBLIC KEY") throw new LibError(messages, "keys.public_only");
  if (type === "ENCRYPTED PRIVATE KEY") throw new LibError(messages, "keys.encrypted");
  if (type !== "PRIVATE KEY") throw new LibError(messages, "keys.other_pem", { type });
  const key = parsePKCS8(der);
  if (key.alg !== "ed25519" && key.alg !== "sm2") throw new LibError(messages, "keys.unsupported");
  if (key.alg !== want.signature) {
    throw new LibError(messages, "keys.wrong_suite", {
      keyAlg: algTitles[key.alg],
      suite: suiteTitles[suite],
      suite_zh: suiteTitlesZh[suite],
      alg: algTitles[want.signature],
    });
  }
  if (suite === "intl") {
    // The seed is read once, through an extractable import, for its public
    // key; the key kept is a second, non-extractable import.
    let pub, privateKey;
    try {
      const tmp = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
      pub = fromBase64((await crypto.subtle.exportKey("jwk", tmp)).x);
      privateKey = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
    } catch (err) {
      if (err instanceof DOMException && err.name === "DataError") throw new LibError(messages, "keys.bad_der", {}, err);
      throw noWebCrypto(err);
    }
    return newRecord(suite, pub, privateKey, label);
  }
  const d = bigintOf(key.scalar);
  if (d < 1n || d > N - 2n) throw new LibError(messages, "keys.bad_scalar");
  const pub = sm2Public(d);
  if (key.publicKey && !equalBytes(key.publicKey, pub)) throw new LibError(messages, "keys.mismatch");
  return newRecord(suite, pub, key.scalar, label);
}

/**
 * The key in a PEM "PRIVATE KEY" (PKCS #8) file, as `jurichain keygen`
 * writes it, in memory only: importPEM also stores it. A key of the other
 * suite is refused with a message naming this network's suite.
 */
export async function keyFromPEM(text, suite, { label } = {}) {
  return fromRecord(await recordFromPEM(text, suite, label));
}

/**
 * The public key as a PEM "PUBLIC KEY" (PKIX) block, byte for byte what
 * the suite's MarshalPublicPEM writes, for showing and backing up.
 */
export function exportPublicPEM(key) {
  const prefix = suiteOf(key.suite).name === "intl" ? SPKI_ED25519 : SPKI_SM2;
  const b64 = base64(concat(prefix, key.publicKey));
  let out = "-----BEGIN PUBLIC KEY-----\n";
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + "\n";
  return out + "-----END PUBLIC KEY-----\n";
}

// IndexedDB.

const DB_NAME = "jurichain";
const STORE = "keys";

function storageError(err) {
  if (err instanceof LibError) return err;
  return new LibError(messages, "keys.storage", { detail: err?.name ?? String(err) }, err);
}

function openDB() {
  return new Promise((resolve, reject) => {
    const idb = globalThis.indexedDB;
    if (!idb) {
      reject(new LibError(messages, "keys.no_indexeddb"));
      return;
    }
    let req;
    try {
      req = idb.open(DB_NAME, 1);
    } catch (err) {
      reject(new LibError(messages, "keys.no_indexeddb", {}, err));
      return;
    }
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(storageError(req.error));
  });
}

// withStore runs fn on the store in one transaction and resolves with the
// result of the request fn returns, once the transaction has committed.
async function withStore(mode, fn) {
  const db = await openDB();
  try {
    return await new Promise((resolve, reject) => {
      let result;
      const t = db.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      if (req) req.onsuccess = () => (result = req.result);
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(storageError(t.error));
      t.onabort = () => reject(storageError(t.error));
    });
  } catch (err) {
    throw storageError(err);
  } finally {
    db.close();
  }
}

async function store(rec) {
  // Importing a key this browser already holds keeps the stored one, with
  // its label and account.
  const existing = await withStore("readonly", (s) => s.get(rec.id));
  if (existing) return fromRecord(existing);
  await withStore("readwrite", (s) => s.add(rec));
  return fromRecord(rec);
}

/** Makes a new account key of suite and keeps it in this browser. */
export async function generateKey(suite, { label } = {}) {
  return store(await generateRecord(suite, label));
}

/**
 * Imports the key of a PEM file (keyFromPEM) and keeps it in this
 * browser; a key already kept is returned as kept.
 */
export async function importPEM(text, suite, { label } = {}) {
  return store(await recordFromPEM(text, suite, label));
}

/** The keys kept in this browser, oldest first; of one suite when suite is given. */
export async function listKeys(suite) {
  const recs = (await withStore("readonly", (s) => s.getAll())) ?? [];
  return recs
    .filter((r) => suite === undefined || r.suite === suite)
    .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0))
    .map(fromRecord);
}

/** The kept key with this id (its AccountKeyID); throws when there is none. */
export async function loadKey(id) {
  const rec = await withStore("readonly", (s) => s.get(id));
  if (!rec) throw new LibError(messages, "keys.not_found", { id });
  return fromRecord(rec);
}

/** Sets a kept key's label and/or account (the account it was enrolled in). */
export async function updateKey(id, { label, account } = {}) {
  const rec = await withStore("readonly", (s) => s.get(id));
  if (!rec) throw new LibError(messages, "keys.not_found", { id });
  if (label !== undefined) rec.label = label;
  if (account !== undefined) rec.account = account;
  await withStore("readwrite", (s) => s.put(rec));
  return fromRecord(rec);
}

/** Forgets a kept key: without a copy of it elsewhere, it is gone. */
export async function deleteKey(id) {
  await withStore("readwrite", (s) => s.delete(id));
}
