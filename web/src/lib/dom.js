// Small helpers to build the parts of a page that scripts draw.
import { LibError } from "./httpsig.js";
import { lang, t } from "./i18n.js";

/**
 * Creates an element: attrs are attributes (on* keys add listeners, a
 * "text" key sets the text, "i18n" sets the text from a key and keeps it
 * translated), children are nodes or strings.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = v;
    else if (k === "i18n") {
      node.dataset.i18n = v;
      node.textContent = t(v);
    } else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/** Replaces the children of node. */
export function replace(node, ...children) {
  node.replaceChildren();
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c);
}

/**
 * Shows a message in a status region (role="status" or "alert"): kind is
 * "ok", "error" or "info". An error's message comes from the node (already
 * saying what to do) or from the portal's texts.
 */
export function say(region, kind, message) {
  region.className = "notice " + kind;
  region.setAttribute("role", kind === "error" ? "alert" : "status");
  region.textContent = message;
  region.hidden = false;
}

/**
 * The user-facing text of an error thrown by the API or a script: a
 * library's error (the node's own message for a refusal, which says what
 * to do) in the page's language, a failed fetch, or the unexpected.
 */
export function errorText(err) {
  if (err instanceof LibError) return err.text(lang());
  if (err && typeof err === "object" && "code" in err && "message" in err) return err.message;
  if (err instanceof TypeError) return t("err.network");
  return t("err.unexpected", { message: err?.message ?? String(err) });
}

/** Lowercase hex of bytes. */
export function hex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Offers bytes or a Blob to the user as a file download. */
export function download(name, data, type = "application/octet-stream") {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
