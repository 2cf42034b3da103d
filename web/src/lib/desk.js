// What the review desk and the court desk share: the text of an error for
// the user, lists of facts, and a signed download that keeps the answer's
// headers (the node names the access-trail record of a read in one).
import { ApiError } from "./api.js";
import { LibError, signRequest } from "./httpsig.js";
import { el } from "./dom.js";
import { lang, t } from "./i18n.js";

/**
 * The text to show for err: the node's message for a refusal (it says
 * what to do), a library error in the page's language, else the portal's
 * message for the unexpected.
 */
export function problem(err) {
  if (err instanceof LibError) return err.text(lang());
  return t("err.unexpected", { message: err?.message ?? String(err) });
}

/**
 * A <dl class="facts"> of [label key, value] pairs; a value is a string or
 * a node, and pairs without a value are left out.
 */
export function facts(pairs) {
  const dl = el("dl", { class: "facts" });
  for (const [key, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(el("dt", { i18n: key }), el("dd", {}, value));
  }
  return dl;
}

/** The first n characters of a long id, then "…", where the whole id would not fit. */
export function short(id, n = 12) {
  return id.length > n ? id.slice(0, n) + "…" : id;
}

/**
 * GETs path signed with the session's key, as api.js signs, and returns
 * the answer's body as a Blob with its headers: {blob, headers}. A refusal
 * throws the node's ApiError.
 */
export async function signedDownload(session, path, { signal } = {}) {
  const url = new URL(path, location.origin);
  const { key } = session;
  const headers = new Headers(await signRequest({ method: "GET", url, body: new Uint8Array(0), key, alg: key.alg, keyId: key.id }));
  headers.set("Accept", "*/*");
  let res;
  try {
    res = await fetch(url, { headers, signal, credentials: "same-origin" });
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    throw new ApiError(0, "api.network", undefined, {}, err);
  }
  if (!res.ok) {
    let body;
    try {
      body = await res.json();
    } catch {
      // not JSON: below
    }
    if (typeof body?.code === "string" && typeof body?.message === "string") throw new ApiError(res.status, body.code, body.message);
    throw new ApiError(res.status, body === undefined ? "api.not_json" : "api.http", undefined, { status: res.status });
  }
  return { blob: await res.blob(), headers: res.headers };
}
