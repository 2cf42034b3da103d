// Signed API requests, made in the browser exactly as the Go client makes
// them (package httpsig): HTTP Message Signatures (RFC 9421) in Jurichain's
// profile. A request is signed over @method, @authority, @path and @query,
// and over its body through Content-Digest (RFC 9530, sha-256 on every
// network: the field only binds the body to the signature, which is the
// suite's), with a creation time and a nonce against replays, under the
// label "jurichain". The node rebuilds the signature base from the request
// it receives, so every byte here must be what httpsig.Sign writes.
//
// This module also holds what the other lib modules share: byte and
// base64 helpers, and LibError, whose messages come from zh/en tables.

/** The label under which Jurichain clients sign (httpsig.Label). */
export const LABEL = "jurichain";

// The components every signed request covers, in httpsig's order.
const COVERED = ["@method", "@authority", "@path", "@query"];

// RFC 9651 integers have at most 15 digits.
const MAX_SF_INTEGER = 999_999_999_999_999;

/**
 * The messages of this module's errors, in both languages. Pages merge
 * them into their i18n table; LibError.text(lang) reads them.
 */
export const messages = {
  en: {
    "httpsig.param":
      "The request cannot be signed: its {name} contains characters a signature header cannot carry. Reload the page and try again; if it persists, report it.",
    "httpsig.created":
      "The request cannot be signed: this computer's clock reads an impossible time. Set the clock right and try again.",
    "httpsig.key": "The request cannot be signed: no account key is loaded. Choose or import your key first.",
  },
  zh: {
    "httpsig.param": "无法签名请求：其 {name} 含有签名头不能携带的字符。请刷新页面后重试；如仍出现，请报告此问题。",
    "httpsig.created": "无法签名请求：本机时钟时间无效。请校正时钟后重试。",
    "httpsig.key": "无法签名请求：尚未载入账户密钥。请先选择或导入您的密钥。",
  },
};

/**
 * An error of the lib modules. code names its message in a module's
 * messages table ({en, zh}); params fill its {placeholders}. message is
 * the English text; text(lang) gives the text in "zh" or "en".
 */
export class LibError extends Error {
  /**
   * @param {{en: Object<string,string>, zh: Object<string,string>}} table
   * @param {string} code
   * @param {Object<string, string|number>} [params]
   * @param {unknown} [cause]
   */
  constructor(table, code, params = {}, cause) {
    super(format(table.en[code] ?? code, params), cause === undefined ? undefined : { cause });
    this.name = "LibError";
    this.code = code;
    this.params = params;
    this.table = table;
  }

  /** The message in lang ("zh" or "en"; English for any other). */
  text(lang) {
    const t = (this.table[lang] ?? this.table.en)[this.code];
    return t === undefined ? this.message : format(t, this.params);
  }
}

/** Fills the {name} placeholders of template from params. */
export function format(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

const encoder = new TextEncoder();

/** The UTF-8 bytes of s. */
export function utf8(s) {
  return encoder.encode(s);
}

/** The concatenation of byte arrays. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Standard base64 with padding, as Go's base64.StdEncoding and JSON []byte. */
export function base64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Unpadded base64url, as Go's base64.RawURLEncoding. */
export function base64url(bytes) {
  return base64(bytes).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

/** Decodes standard or URL base64, padded or not; throws on anything else. */
export function fromBase64(s) {
  const std = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Lowercase hex. */
export function hex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Decodes hex; throws a TypeError on an odd length or a non-hex digit. */
export function fromHex(s) {
  if (s.length % 2 !== 0 || /[^0-9a-fA-F]/.test(s)) throw new TypeError("not a hex string");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** n cryptographically random bytes. */
export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** The SHA-256 of bytes (WebCrypto). */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// Structured field values (RFC 9651), serialized as github.com/dunglas/httpsfv
// does; a value it refuses, this refuses too.

function sfString(name, s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || c >= 0x7f) throw new LibError(messages, "httpsig.param", { name });
    if (c === 0x22 || c === 0x5c) out += "\\";
    out += s[i];
  }
  return out + '"';
}

function sfInteger(name, n) {
  if (!Number.isSafeInteger(n) || Math.abs(n) > MAX_SF_INTEGER) {
    throw new LibError(messages, name === "created" ? "httpsig.created" : "httpsig.param", { name });
  }
  return String(n);
}

function sfBinary(bytes) {
  return ":" + base64(bytes) + ":";
}

/** The Content-Digest field of body (RFC 9530): always sha-256. */
export async function contentDigest(body) {
  return "sha-256=" + sfBinary(await sha256(body));
}

function bodyBytes(body) {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return utf8(body);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError("signRequest: body must be a Uint8Array, an ArrayBuffer or a string");
}

/**
 * Signs a request as httpsig.Sign does and returns the headers to send:
 * {"Signature-Input", "Signature"} and "Content-Digest" when the body is
 * not empty. body undefined is a request whose body the signature does not
 * cover (a streamed upload named by its digest), as Go's nil.
 *
 * @param {object} req
 * @param {string} req.method
 * @param {string|URL} req.url absolute: the authority is signed
 * @param {Uint8Array|ArrayBuffer|string} [req.body]
 * @param {{sign(bytes: Uint8Array): Promise<Uint8Array>, id?: string, alg?: string}} req.key
 * @param {string} [req.alg] the suite's signature scheme name; key.alg when undefined, left out when ""
 * @param {string} [req.keyId] key.id (its AccountKeyID) when undefined
 * @param {Date|number} [req.now] the creation time (a Date, or milliseconds); the clock when undefined
 * @param {string} [req.nonce] 16 random bytes in base64url when undefined, as the CLI
 * @returns {Promise<Object<string,string>>}
 */
export async function signRequest({ method, url, body, key, alg, keyId, now, nonce }) {
  if (!key || typeof key.sign !== "function") throw new LibError(messages, "httpsig.key");
  const u = url instanceof URL ? url : new URL(url);
  const bytes = bodyBytes(body);
  const headers = {};
  const components = [...COVERED];
  if (bytes !== undefined && bytes.length > 0) {
    headers["Content-Digest"] = await contentDigest(bytes);
    components.push("content-digest");
  }
  const ms = now === undefined ? Date.now() : now instanceof Date ? now.getTime() : now;
  const created = Math.floor(ms / 1000);
  keyId = keyId ?? key.id;
  alg = alg ?? key.alg ?? "";
  nonce = nonce ?? base64url(randomBytes(16));

  let params = `;created=${sfInteger("created", created)};keyid=${sfString("keyid", keyId ?? "")}`;
  params += `;nonce=${sfString("nonce", nonce)}`;
  if (alg !== "") params += `;alg=${sfString("alg", alg)}`;
  const inner = "(" + components.map((c) => sfString(c, c)).join(" ") + ")" + params;

  const values = {
    "@method": method.toUpperCase(),
    "@authority": u.host.toLowerCase(),
    "@path": u.pathname || "/",
    "@query": "?" + u.search.slice(1),
    "content-digest": headers["Content-Digest"],
  };
  let base = "";
  for (const c of components) base += `${sfString(c, c)}: ${values[c]}\n`;
  base += `"@signature-params": ${inner}`;

  const sig = await key.sign(utf8(base));
  return {
    "Signature-Input": `${LABEL}=${inner}`,
    Signature: `${LABEL}=${sfBinary(sig)}`,
    ...headers,
  };
}
