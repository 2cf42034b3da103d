// Calls to the node's API from the portal: same-origin requests, signed
// with the account key when one is given (as the CLI's KeyAuth signs:
// keyid the key's AccountKeyID, alg the suite's signature scheme), JSON
// answers parsed, and every failure turned into an ApiError whose message
// says what to do next. The node's own errors, {"code","message"}, are
// shown as the node wrote them: they are already actionable.

import { LibError, signRequest, utf8 } from "./httpsig.js";

/** The messages of this module's errors, in both languages (see LibError). */
export const messages = {
  en: {
    "api.network": "The node could not be reached. Check your network connection and try again.",
    "api.not_json":
      "The node answered HTTP {status} with something other than the expected answer. Try again in a moment; if it persists, tell the node's operator.",
    "api.http": "The node answered HTTP {status} without saying why. Try again in a moment; if it persists, tell the node's operator.",
    "api.path": "The portal asked for {path}, which is not a path of this node. Reload the page; if it persists, report it.",
  },
  zh: {
    "api.network": "无法连接节点。请检查网络连接后重试。",
    "api.not_json": "节点返回 HTTP {status}，但内容不是预期的应答。请稍后重试；如仍出现，请告知节点运营方。",
    "api.http": "节点返回 HTTP {status}，未说明原因。请稍后重试；如仍出现，请告知节点运营方。",
    "api.path": "门户请求了 {path}，这不是本节点的路径。请刷新页面；如仍出现，请报告此问题。",
  },
};

/**
 * A request that failed: status is the HTTP status (0 when the node could
 * not be reached), code the node's error code ("unauthenticated",
 * "invalid_request", ...) or "api.network", "api.not_json", "api.http"
 * for failures the node did not describe, message what to show.
 */
export class ApiError extends LibError {
  constructor(status, code, message, params, cause) {
    super(messages, code, params, cause);
    this.name = "ApiError";
    this.status = status;
    if (!(code in messages.en)) {
      // The node's message, in the node's words.
      this.message = message;
      this.table = { en: { [code]: message }, zh: { [code]: message } };
    }
  }
}

function sameOrigin(path) {
  const origin = globalThis.location?.origin;
  if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//") || !origin) {
    throw new ApiError(0, "api.path", undefined, { path: String(path) });
  }
  const url = new URL(path, origin);
  if (url.origin !== origin) throw new ApiError(0, "api.path", undefined, { path });
  return url;
}

// send makes the request and returns the Response of a 2xx answer, or
// throws an ApiError.
async function send(path, { method, json, body, key, headers, signal } = {}) {
  const url = sameOrigin(path);
  const h = new Headers(headers);
  if (json !== undefined) {
    body = utf8(JSON.stringify(json));
    if (!h.has("Content-Type")) h.set("Content-Type", "application/json");
  } else if (typeof body === "string") {
    body = utf8(body);
  }
  method = (method ?? (body === undefined ? "GET" : "POST")).toUpperCase();
  if (key) {
    // A Blob (a file upload) is streamed and not covered by the signature,
    // as a streamed upload named by its digest is in Go (body nil).
    const covered = body instanceof Blob ? undefined : (body ?? new Uint8Array(0));
    const signed = await signRequest({ method, url, body: covered, key, alg: key.alg, keyId: key.id });
    for (const [name, value] of Object.entries(signed)) h.set(name, value);
  }
  if (!h.has("Accept")) h.set("Accept", "application/json");
  let res;
  try {
    res = await fetch(url, { method, headers: h, body, signal, credentials: "same-origin" });
  } catch (err) {
    if (err?.name === "AbortError") throw err; // the caller cancelled
    throw new ApiError(0, "api.network", undefined, {}, err);
  }
  if (res.ok) return res;
  let problem;
  try {
    problem = await res.json();
  } catch {
    // not JSON: below
  }
  if (problem && typeof problem.code === "string" && typeof problem.message === "string") {
    throw new ApiError(res.status, problem.code, problem.message);
  }
  throw new ApiError(res.status, problem === undefined ? "api.not_json" : "api.http", undefined, { status: res.status });
}

/**
 * Calls the node's API at path (same origin, starting with "/") and
 * returns the parsed JSON answer (null for an empty one).
 *
 * @param {string} path e.g. "/v1/status" or "/v1/deposits?sha256=..."
 * @param {object} [opts]
 * @param {string} [opts.method] GET, or POST with a body
 * @param {unknown} [opts.json] a value sent as a JSON body
 * @param {Uint8Array|string|Blob} [opts.body] a body sent as is; a Blob is streamed and its bytes are not signed
 * @param {{id: string, alg: string, sign(b: Uint8Array): Promise<Uint8Array>}} [opts.key] signs the request when given
 * @param {HeadersInit} [opts.headers]
 * @param {AbortSignal} [opts.signal]
 * @returns {Promise<any>}
 * @throws {ApiError}
 */
export async function api(path, opts = {}) {
  const res = await send(path, opts);
  const text = await res.text();
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(res.status, "api.not_json", undefined, { status: res.status }, err);
  }
}

/**
 * Downloads a file from the node (a certificate PDF, a receipt, an
 * original): the same options as api, the answer as a Blob with the file
 * name the node suggests (Content-Disposition), or "" when it suggests none,
 * and the answer's headers (the node names the access-trail record of a
 * read in Jurichain-Trail-Entry).
 *
 * @returns {Promise<{blob: Blob, filename: string, type: string, headers: Headers}>}
 * @throws {ApiError}
 */
export async function apiBlob(path, opts = {}) {
  const headers = new Headers(opts.headers);
  if (!headers.has("Accept")) headers.set("Accept", "*/*");
  const res = await send(path, { ...opts, headers });
  const blob = await res.blob();
  return { blob, filename: dispositionFilename(res.headers.get("Content-Disposition")), type: blob.type, headers: res.headers };
}

/** The file name in a Content-Disposition header (filename* of RFC 6266 first), or "". */
export function dispositionFilename(header) {
  if (!header) return "";
  const ext = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (ext) {
    try {
      return decodeURIComponent(ext[1].trim());
    } catch {
      // a malformed filename*: fall back to filename
    }
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(header);
  if (quoted) return quoted[1].replace(/\\(.)/g, "$1");
  const plain = /filename\s*=\s*([^;\s]+)/.exec(header);
  return plain ? plain[1] : "";
}
