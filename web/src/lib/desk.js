// What the review desk and the court desk share: lists of facts and
// shortened ids.
import { el } from "./dom.js";

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
