// What to tell the user when something fails. Every message says what to
// do next: the node's own messages already do, the library modules carry
// theirs in both languages, and the pages' own are i18n texts.
import { errorText } from "./dom.js";
import { t } from "./i18n.js";

/**
 * An error a page raises itself: key names its i18n text, vars fill it,
 * and field, when set, is the id of the input to fix.
 */
export class PageError extends Error {
  constructor(key, vars = {}, field = undefined) {
    super(t(key, vars));
    this.name = "PageError";
    this.key = key;
    this.vars = vars;
    this.field = field;
  }
}

/**
 * The text to show for err in the page's language: a page's own error, a
 * library error (the node's message for an API error), a receipt that
 * failed a check (named by the check), or anything else.
 */
export function explain(err) {
  if (err instanceof PageError) return t(err.key, err.vars);
  // The verifier's CheckError names the check that failed.
  if (typeof err?.check === "string" && typeof err?.message === "string") {
    return t("flow.receiptBad", { check: err.check, message: err.message });
  }
  return errorText(err);
}
