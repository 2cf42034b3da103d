// Deposit requests built in the browser as the Go client builds them
// (client.Prepare): the statement and the message the depositor signs
// (package deposit, deposit.go), the metadata opening and its salted
// commitment (deposit/metadata.go), and the JSON body of POST /v1/deposits
// (api.NewDeposit). The node checks every byte: the signature covers the
// canonical statement encoding, and the commitment the canonical opening
// encoding, both rebuilt by the node from the JSON.
//
// Two things differ from the CLI, on purpose. The salt is 32 random bytes
// and the idempotency key "web-" and 32 random hex digits: the CLI derives
// both from its private key file, which a non-extractable browser key
// cannot give. So the caller keeps both (they are in the answer) and
// passes them again to retry a deposit, which then names the same deposit.

import { LibError, base64, concat, fromHex, hex, randomBytes, utf8 } from "./httpsig.js";
import { suiteHash, suites } from "./keys.js";

/** The messages of this module's errors, in both languages (see LibError). */
export const messages = {
  en: {
    "deposit.suite": 'Unknown crypto suite "{suite}": a network uses "intl" or "gm". Reload the page; if it persists, report it.',
    "deposit.key_suite":
      "Your key is an {keyAlg} key, but this network's deposits are signed with {alg} keys. Choose or create a key for this network.",
    "deposit.origin": "The network's log name is unknown, so the deposit cannot be signed. Reload the page and try again.",
    "deposit.digest_missing": "The file's {alg} digest is missing, which this network needs. Choose the file again so that it is hashed.",
    "deposit.digest_alg": 'Unknown digest algorithm "{alg}" (known: sha256, sm3, sha512). Reload the page; if it persists, report it.',
    "deposit.digest_size": "The {alg} digest must be {size} bytes. Choose the file again so that it is hashed.",
    "deposit.size": "The file size must be a whole number of bytes from 0 to 2^53. Choose the file again.",
    "deposit.field_required": "{field}: required. Fill it in and try again.",
    "deposit.field_long": "{field}: longer than {max} bytes. Shorten it and try again.",
    "deposit.media_type": '{field}: "{value}" is not a media type such as image/jpeg. Correct it and try again.',
    "deposit.coordinate": "{field}: {value} is outside {range}. Correct it and try again.",
    "deposit.coordinates": "capture: latitude and longitude go together. Give both, or neither.",
    "deposit.salt": "The metadata salt must be 32 bytes. Retry with the salt this deposit was first prepared with.",
    "deposit.idempotency_key":
      "The idempotency key must be 1 to 64 printable ASCII characters without spaces. Retry with the key this deposit was first prepared with.",
  },
  zh: {
    "deposit.suite": "未知的密码套件“{suite}”：网络只使用 “intl” 或 “gm”。请刷新页面；如仍出现，请报告此问题。",
    "deposit.key_suite": "您的密钥是 {keyAlg} 密钥，但本网络的存证须用 {alg} 密钥签名。请选择或新建适用于本网络的密钥。",
    "deposit.origin": "网络日志名称未知，无法签署存证。请刷新页面后重试。",
    "deposit.digest_missing": "缺少本网络所需的文件 {alg} 摘要。请重新选择文件以计算摘要。",
    "deposit.digest_alg": "未知的摘要算法“{alg}”（支持：sha256、sm3、sha512）。请刷新页面；如仍出现，请报告此问题。",
    "deposit.digest_size": "{alg} 摘要须为 {size} 字节。请重新选择文件以计算摘要。",
    "deposit.size": "文件大小须为 0 到 2^53 之间的整数字节。请重新选择文件。",
    "deposit.field_required": "{field}：必填。请填写后重试。",
    "deposit.field_long": "{field}：超过 {max} 字节。请缩短后重试。",
    "deposit.media_type": "{field}：“{value}”不是媒体类型（例如 image/jpeg）。请更正后重试。",
    "deposit.coordinate": "{field}：{value} 超出 {range}。请更正后重试。",
    "deposit.coordinates": "capture：纬度与经度须同时填写，或都不填。",
    "deposit.salt": "元数据盐值须为 32 字节。请使用该存证首次准备时的盐值重试。",
    "deposit.idempotency_key": "幂等键须为 1 到 64 个不含空格的可打印 ASCII 字符。请使用该存证首次准备时的幂等键重试。",
  },
};

const algTitles = { ed25519: "Ed25519", sm2: "SM2" };

function fail(code, params) {
  return new LibError(messages, code, params);
}

/** The statement's version byte (deposit.Version). */
const VERSION = 1;
const SIGNING_DOMAIN = "jurichain/deposit/v1\n";
const COMMITMENT_DOMAIN = "jurichain/metadata/v1\n";
const DEPOSIT_ID_DOMAIN = "jurichain/deposit-id/v1\n";
const SALT_SIZE = 32;

/** Content digest algorithms: their ids in the statement encoding and digest sizes, in canonical order. */
export const algorithms = Object.freeze({
  sha256: { id: 1, size: 32 },
  sm3: { id: 2, size: 32 },
  sha512: { id: 3, size: 64 },
});

// Field limits of deposit.Metadata, in UTF-8 bytes.
const limits = {
  title: 1024,
  media_type: 255,
  case_ref: 256,
  "capture.device": 256,
  "capture.source_url": 2048,
  "capture.address": 200,
};

/**
 * A coordinate as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it: the
 * shortest digits that read back as v, in %e form when the exponent is
 * below -4 or at least 6 (with at least two exponent digits), else plain.
 * Both sides of a commitment must agree on these bytes.
 */
export function formatCoordinate(v) {
  if (Object.is(v, -0)) return "-0";
  if (v === 0) return "0";
  const [mant, e] = v.toExponential().split("e");
  const exp = Number(e);
  if (exp < -4 || exp >= 6) {
    const digits = String(Math.abs(exp)).padStart(2, "0");
    return `${mant}e${exp < 0 ? "-" : "+"}${digits}`;
  }
  return String(v);
}

function textField(field, v, required) {
  if (v === undefined || v === null || v === "") {
    if (required) throw fail("deposit.field_required", { field });
    return "";
  }
  v = String(v);
  if (utf8(v).length > limits[field]) throw fail("deposit.field_long", { field, max: limits[field] });
  return v;
}

function coordinateField(field, v, min, max) {
  if (v === undefined || v === null || v === "") return undefined;
  const n = Number(v);
  if (!(n >= min && n <= max)) throw fail("deposit.coordinate", { field, value: String(v), range: `${min}..${max}` });
  return n === 0 ? 0 : n; // JSON has no -0: the node would read 0

}

/**
 * The metadata in the shape of deposit.Metadata's JSON, with empty
 * optional fields left out as Go's omitempty does, after the checks a
 * node would make first (required fields, lengths, coordinates).
 * metadata: {title, media_type, case_ref?, capture?: {time?, latitude?,
 * longitude?, device?, source_url?, address?}}.
 */
export function normalizeMetadata(metadata) {
  const m = metadata ?? {};
  const out = { title: textField("title", m.title, true), media_type: textField("media_type", m.media_type, true) };
  if (!/^[^\s/;]+\/[^\s/;]+(\s*;.*)?$/.test(out.media_type)) {
    throw fail("deposit.media_type", { field: "media_type", value: out.media_type });
  }
  const caseRef = textField("case_ref", m.case_ref, false);
  if (caseRef !== "") out.case_ref = caseRef;
  const c = m.capture ?? {};
  const capture = {};
  if (c.time) capture.time = String(c.time);
  const lat = coordinateField("capture.latitude", c.latitude, -90, 90);
  const lon = coordinateField("capture.longitude", c.longitude, -180, 180);
  if ((lat === undefined) !== (lon === undefined)) throw fail("deposit.coordinates");
  if (lat !== undefined) {
    capture.latitude = lat;
    capture.longitude = lon;
  }
  for (const name of ["device", "source_url", "address"]) {
    const v = textField("capture." + name, c[name], false);
    if (v !== "") capture[name] = v;
  }
  if (Object.keys(capture).length > 0) out.capture = capture;
  return out;
}

function u32(n) {
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

function u64(n) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

/**
 * The canonical encoding of an opening (deposit.Opening.AppendBinary): the
 * salt, then each field with a 4-byte length, the capture address only
 * when there is one. metadata is as normalizeMetadata returns it.
 */
export function openingBytes(metadata, salt) {
  const c = metadata.capture ?? {};
  const fields = [
    metadata.title,
    metadata.media_type,
    metadata.case_ref ?? "",
    c.time ?? "",
    c.latitude === undefined ? "" : formatCoordinate(c.latitude),
    c.longitude === undefined ? "" : formatCoordinate(c.longitude),
    c.device ?? "",
    c.source_url ?? "",
  ];
  if (c.address) fields.push(c.address);
  const parts = [salt];
  for (const f of fields) {
    const b = utf8(f);
    parts.push(u32(b.length), b);
  }
  return concat(...parts);
}

/** The metadata commitment under the suite's hash (deposit.Opening.Commitment). */
export function commitment(suite, metadata, salt) {
  return suiteHash(suite, utf8(COMMITMENT_DOMAIN), openingBytes(metadata, salt));
}

/**
 * The canonical statement encoding (deposit.Statement.AppendBinary).
 * statement: {digests: [{algorithm: "sha256"|"sm3"|"sha512", value:
 * Uint8Array}] in canonical order, size, commitment (32 bytes), depositor
 * (public key bytes), idempotencyKey}.
 */
export function statementBytes(st) {
  const parts = [new Uint8Array([VERSION, st.digests.length])];
  for (const d of st.digests) parts.push(new Uint8Array([algorithms[d.algorithm].id]), d.value);
  const idem = utf8(st.idempotencyKey);
  parts.push(u64(st.size), st.commitment, new Uint8Array([st.depositor.length]), st.depositor);
  parts.push(new Uint8Array([idem.length]), idem);
  return concat(...parts);
}

/** The bytes a depositor signs for a statement on the log named origin (Statement.SigningMessage). */
export function signingMessage(origin, st) {
  return concat(utf8(SIGNING_DOMAIN + origin + "\n"), statementBytes(st));
}

/** The deposit id: known before the deposit commits, the same on every node (Statement.ID). */
export async function depositId(suite, depositor, idempotencyKey) {
  const h = await suiteHash(suite, utf8(DEPOSIT_ID_DOMAIN), new Uint8Array([depositor.length]), depositor, utf8(idempotencyKey));
  return hex(h);
}

function digestList(suite, digests) {
  const out = [];
  for (const [name, v] of Object.entries(digests ?? {})) {
    if (v === undefined || v === null) continue;
    const alg = algorithms[name];
    if (!alg) throw fail("deposit.digest_alg", { alg: name });
    let value;
    try {
      value = typeof v === "string" ? fromHex(v) : new Uint8Array(v);
    } catch {
      throw fail("deposit.digest_size", { alg: name, size: alg.size });
    }
    if (value.length !== alg.size) throw fail("deposit.digest_size", { alg: name, size: alg.size });
    out.push({ algorithm: name, value });
  }
  const need = suites[suite].contentDigest;
  if (!out.some((d) => d.algorithm === need)) throw fail("deposit.digest_missing", { alg: need });
  return out.sort((a, b) => algorithms[a.algorithm].id - algorithms[b.algorithm].id);
}

/**
 * Builds and signs a deposit request, as client.Prepare does.
 *
 * @param {object} p
 * @param {"intl"|"gm"} p.suite the network's suite
 * @param {string} p.origin the log's name (GET /v1/status: origin)
 * @param {{suite: string, alg: string, publicKey: Uint8Array, sign(b: Uint8Array): Promise<Uint8Array>}} p.key
 * @param {Object<string, Uint8Array|string>} p.digests the file's digests by algorithm (bytes or hex); the suite's content digest is required
 * @param {number} p.size the file's length in bytes
 * @param {object} p.metadata see normalizeMetadata
 * @param {Uint8Array} [p.salt] a retry's salt; 32 random bytes when undefined
 * @param {string} [p.idempotencyKey] a retry's idempotency key; "web-" and 32 random hex digits when undefined
 * @returns {Promise<{request: object, opening: object, id: string, salt: Uint8Array, idempotencyKey: string}>}
 *   request is the JSON body of POST /v1/deposits (api.Deposit); opening is
 *   deposit.Opening's JSON, which `jurichain verify` reads as FILE.meta.json
 *   and the depositor keeps; id is the deposit's id.
 */
export async function prepareDeposit({ suite, origin, key, digests, size, metadata, salt, idempotencyKey }) {
  const s = suites[suite];
  if (!s) throw fail("deposit.suite", { suite: String(suite) });
  if (key.suite !== suite) throw fail("deposit.key_suite", { keyAlg: algTitles[key.alg] ?? key.alg, alg: algTitles[s.signature] });
  if (typeof origin !== "string" || origin === "") throw fail("deposit.origin");
  if (!Number.isSafeInteger(size) || size < 0) throw fail("deposit.size");
  const meta = normalizeMetadata(metadata);
  salt = salt ?? randomBytes(SALT_SIZE);
  if (salt.length !== SALT_SIZE) throw fail("deposit.salt");
  idempotencyKey = idempotencyKey ?? "web-" + hex(randomBytes(16));
  if (!/^[\x21-\x7e]{1,64}$/.test(idempotencyKey)) throw fail("deposit.idempotency_key");

  const list = digestList(suite, digests);
  const st = {
    digests: list,
    size,
    commitment: await commitment(suite, meta, salt),
    depositor: key.publicKey,
    idempotencyKey,
  };
  const signature = await key.sign(signingMessage(origin, st));

  // Go marshals a map with its keys sorted.
  const digestJSON = {};
  for (const d of [...list].sort((a, b) => (a.algorithm < b.algorithm ? -1 : 1))) digestJSON[d.algorithm] = hex(d.value);
  const request = {
    digests: digestJSON,
    size,
    ...meta,
    salt: base64(salt),
    depositor_key: base64(key.publicKey),
    idempotency_key: idempotencyKey,
    signature: base64(signature),
  };
  const opening = { ...meta, salt: base64(salt), suite };
  return { request, opening, id: await depositId(suite, key.publicKey, idempotencyKey), salt, idempotencyKey };
}
