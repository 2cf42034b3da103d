// The portal's texts in Chinese and English. The same i18n/*.json files
// render the page on the server; here they translate what scripts add,
// and switch the page's language in place when the user asks.
import common from "../../i18n/common.json";

const languages = ["zh", "en"];
const storageKey = "jurichain.lang";
const cookieName = "jurichain_lang";
const tables = { zh: {}, en: {} };
const listeners = new Set();
let current = document.documentElement.lang.startsWith("zh") ? "zh" : "en";

/** Adds areas' texts (objects {zh:{...}, en:{...}} from i18n/*.json). */
export function addStrings(...areas) {
  for (const area of [common, ...areas]) {
    for (const lang of languages) Object.assign(tables[lang], area[lang]);
  }
}

/** The language the page is in: "zh" or "en". */
export function lang() {
  return current;
}

/** The text of key, with {name} placeholders filled from vars. */
export function t(key, vars = {}) {
  const text = tables[current][key] ?? tables.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Translates every element under root that names its text by key. */
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const attr of ["aria-label", "placeholder", "title"]) {
    const data = "data-i18n-" + attr;
    for (const el of root.querySelectorAll(`[${data}]`)) el.setAttribute(attr, t(el.getAttribute(data)));
  }
}

/** Calls fn after every language switch (to redraw what a script drew). */
export function onLanguageChange(fn) {
  listeners.add(fn);
}

/** Switches the page to language l and remembers the choice. */
export function setLanguage(l) {
  if (!languages.includes(l) || l === current) return;
  current = l;
  try {
    localStorage.setItem(storageKey, l);
  } catch {
    // Storage may be disabled; the cookie still remembers.
  }
  document.cookie = `${cookieName}=${l}; path=/; max-age=31536000; samesite=strict`;
  document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
  translate();
  for (const fn of listeners) fn(l);
}

/**
 * Applies the remembered language when the server rendered another one
 * (the cookie was cleared but localStorage was not), and wires the
 * language switch.
 */
export function initLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(storageKey);
  } catch {
    // No storage: the server's choice stands.
  }
  if (saved && saved !== current) setLanguage(saved);
  const button = document.getElementById("lang-switch");
  if (!button) return;
  const label = () => {
    const other = current === "zh" ? "en" : "zh";
    button.textContent = other === "en" ? "English" : "中文";
    button.lang = other === "en" ? "en" : "zh-CN";
  };
  button.addEventListener("click", () => {
    setLanguage(current === "zh" ? "en" : "zh");
    label();
  });
  label();
}

/** Formats a date and time for people, in the page's language and the browser's zone. */
export function formatTime(d) {
  const date = d instanceof Date ? d : new Date(d);
  return date.toLocaleString(current === "zh" ? "zh-CN" : "en-GB", { dateStyle: "medium", timeStyle: "medium" });
}

/** Formats a count. */
export function formatNumber(n) {
  return Number(n).toLocaleString(current === "zh" ? "zh-CN" : "en-GB");
}
