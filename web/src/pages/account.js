// The account page: sign in by importing the key file the CLI wrote, or
// create a key in this browser and register with an invitation code; see
// the account's status and keys; choose or delete the keys this browser
// holds. Nothing here is sent to the node but signed requests and the
// registration itself.
import { startPage } from "../lib/page.js";
import { currentSession, showWho, signOut, useKey } from "../lib/session.js";
import { deleteKey, exportPublicPEM, generateKey, importPEM, listKeys, updateKey } from "../lib/keys.js";
import { api } from "../lib/api.js";
import { fromBase64 } from "../lib/httpsig.js";
import { realNameFields, registration } from "../lib/registration.js";
import { PageError, explain } from "../lib/problem.js";
import { download, el, hex, replace, say } from "../lib/dom.js";
import { formatTime, onLanguageChange, t } from "../lib/i18n.js";
import sessionTexts from "../../i18n/session.json";
import accountTexts from "../../i18n/account.json";

const { suite, origin, institution } = document.body.dataset;

// While a registration waits for the ledger, and then for a reviewer, the
// page asks the node again by itself: every few seconds at first, for
// minutes; the button "Check again" is always there.
const pollLedger = 2000;
const pollReview = 5000;
const pollFor = 15 * 60 * 1000;

const $ = (id) => document.getElementById(id);

let session = null;
let keys = [];
let shown = "";
let awaitingAccount = null; // the account id of a registration not yet on the ledger
let pollTimer = 0;
let pollSince = 0;

startPage([sessionTexts, accountTexts], main);

async function main() {
  $("import-key").addEventListener("change", importKeyFile);
  $("register-form").addEventListener("submit", register);
  for (const radio of document.querySelectorAll('#register-form input[name="kind"]')) radio.addEventListener("change", showKindFields);
  $("delete-cancel").addEventListener("click", () => $("delete-dialog").close());
  onLanguageChange(() => {
    shown = "";
    render();
  });
  showKindFields();
  await refresh();
}

/** Asks the node who the chosen key is, and redraws what changed. */
async function refresh() {
  clearTimeout(pollTimer);
  try {
    session = await currentSession();
  } catch (err) {
    session = null;
    say($("import-status"), "error", explain(err));
  }
  showWho(session);
  if (session?.account) {
    if (session.key.account !== session.account.id) {
      // Remember which account each stored key belongs to, for the list.
      await updateKey(session.key.id, { account: session.account.id }).catch(() => {});
    }
    awaitingAccount = null;
  }
  try {
    keys = await listKeys(suite);
  } catch (err) {
    keys = [];
    say($("keys-status"), "error", explain(err));
  }
  render();
  schedulePoll();
}

function schedulePoll() {
  const pending = session?.account?.status === "pending";
  if (!pending && !awaitingAccount) {
    pollSince = 0;
    return;
  }
  pollSince ||= Date.now();
  if (Date.now() - pollSince > pollFor) return;
  pollTimer = setTimeout(refresh, awaitingAccount ? pollLedger : pollReview);
}

function render() {
  const state = JSON.stringify([session?.key?.id, session?.account, awaitingAccount, keys.map((k) => [k.id, k.label, k.account])]);
  if (state === shown) return;
  shown = state;
  replace($("account-view"), ...accountView());
  replace($("keys-view"), keysView());
  $("reg-key-note").textContent =
    session?.key && !session.account ? t("account.register.useKey", { key: fingerprint(session.key.publicKey) }) : t("account.register.newKey");
}

/** A short, stable way to tell keys apart: the first bytes of the public key in hex. */
function fingerprint(pub) {
  const b = pub.length === 65 ? pub.subarray(1) : pub; // SM2: skip the 04 of the uncompressed point
  return hex(b.subarray(0, 8));
}

function accountView() {
  if (!session) return [el("p", { class: "notice info", id: "account-none", i18n: "account.none" })];
  if (!session.account) {
    const text = awaitingAccount ? t("account.awaitingLedger", { account: awaitingAccount }) : t("account.noAccount", { key: fingerprint(session.key.publicKey) });
    return [el("p", { class: "notice info", id: "account-none", text }), refreshButton()];
  }
  const a = session.account;
  const rn = a.real_name ?? {};
  const reason = lastReason(a);
  const facts = el(
    "dl",
    { class: "facts" },
    fact("account.fact.id", el("code", { id: "account-id", text: a.id })),
    fact("account.fact.status", el("span", { id: "account-status", class: "tag " + statusClass(a.status), dataset: { status: a.status }, i18n: "status." + a.status })),
    reason && fact("account.fact.reason", el("span", { id: "account-reason", text: reason })),
    fact("account.fact.role", el("span", { i18n: "role." + a.role })),
    fact("account.fact.kind", el("span", { i18n: "kind." + a.kind })),
    fact("account.fact.institution", a.institution),
    ...Object.keys(rn).map((f) => fact("account.field." + f, f === "id_type" ? idTypeText(rn[f]) : rn[f])),
  );
  const explainer = el("p", {
    class: "notice " + (a.status === "approved" ? "ok" : a.status === "pending" ? "info" : "error"),
    id: "account-status-text",
    text: t("account.statusText." + a.status, { institution: a.institution, reason: reason || t("account.noReason") }),
  });
  const next =
    a.status === "approved" && a.role === "depositor"
      ? el("p", { class: "row" }, el("a", { class: "button primary", href: "/deposits", i18n: "nav.deposits" }), el("a", { class: "button", href: "/capture", i18n: "nav.capture" }))
      : null;
  return [
    facts,
    explainer,
    next,
    el("h3", { i18n: "account.accountKeys" }),
    accountKeysTable(a),
    el(
      "p",
      { class: "row" },
      refreshButton(),
      el("button", { type: "button", id: "sign-out", i18n: "session.signOut", onclick: () => (signOut(), refresh()) }),
    ),
  ];
}

function refreshButton() {
  return el("button", { type: "button", id: "account-refresh", i18n: "account.refresh", onclick: () => ((shown = ""), refresh()) });
}

function fact(key, value) {
  return [el("dt", { i18n: key }), el("dd", {}, value)];
}

function statusClass(status) {
  return status === "approved" ? "ok" : status === "pending" ? "" : "bad";
}

function idTypeText(v) {
  const key = "account.idType." + v;
  const text = t(key);
  return text === key ? v : text;
}

// The reason of the decision that put the account in its status: the
// last rejection or suspension in its history.
function lastReason(a) {
  if (a.status !== "rejected" && a.status !== "suspended") return "";
  const ev = [...(a.history ?? [])].reverse().find((e) => e.op === "reject" || e.op === "suspend");
  return ev?.reason ?? "";
}

function accountKeysTable(a) {
  const rows = (a.keys ?? []).map((k) => {
    const pub = fromBase64(k.public);
    const here = session.key && hex(pub) === hex(session.key.publicKey);
    const state = k.revoked ? t("account.key.revoked", { height: k.revoked, reason: k.reason ?? "" }) : t("account.key.active");
    return el(
      "tr",
      {},
      el("td", {}, el("code", { text: fingerprint(pub) + "…" }), here ? [" ", el("span", { class: "tag ok", i18n: "account.key.thisBrowser" })] : null),
      el("td", { text: k.alg }),
      el("td", { text: t("account.key.added", { height: k.added }) }),
      el("td", { text: state }),
      el(
        "td",
        {},
        el("button", {
          type: "button",
          text: t("account.key.download"),
          "aria-label": t("account.key.downloadOf", { key: fingerprint(pub) }),
          onclick: () => download(`${a.id}-${fingerprint(pub)}.pub`, exportPublicPEM({ suite, publicKey: pub }), "application/x-pem-file"),
        }),
      ),
    );
  });
  return el(
    "div",
    { class: "scroll" },
    el(
      "table",
      {},
      el("caption", { class: "hint", i18n: "account.accountKeysCaption" }),
      el("thead", {}, el("tr", {}, ...["account.key.public", "account.key.alg", "account.key.addedAt", "account.key.state", "account.key.actions"].map((k) => el("th", { scope: "col", i18n: k })))),
      el("tbody", {}, rows),
    ),
  );
}

function keysView() {
  if (keys.length === 0) return el("p", { class: "hint", id: "keys-none", i18n: "account.keys.none" });
  const current = session?.key?.id;
  const rows = keys.map((k) => {
    const fp = fingerprint(k.publicKey);
    const name = k.label || fp;
    const inUse = k.id === current;
    return el(
      "tr",
      { dataset: { key: k.id } },
      el("td", {}, el("span", { class: "key-label", text: name }), inUse ? [" ", el("span", { class: "tag ok", i18n: "account.keys.inUse" })] : null),
      el("td", {}, el("code", { text: fp + "…" })),
      el("td", { text: k.created ? formatTime(k.created) : "" }),
      el("td", {}, k.account ? el("code", { text: k.account }) : el("span", { class: "hint", i18n: "account.keys.noAccount" })),
      el(
        "td",
        { class: "row" },
        el("button", {
          type: "button",
          class: "use-key",
          disabled: inUse,
          text: t("account.keys.use"),
          "aria-label": t("account.keys.useOf", { key: name }),
          onclick: async () => {
            useKey(k.id);
            shown = "";
            await refresh();
            say($("keys-status"), "ok", t("account.keys.chosen", { key: name }));
          },
        }),
        el("button", {
          type: "button",
          text: t("account.key.download"),
          "aria-label": t("account.key.downloadOf", { key: name }),
          onclick: () => download(`${evidenceSafe(name)}.pub`, exportPublicPEM(k), "application/x-pem-file"),
        }),
        el("button", {
          type: "button",
          class: "danger delete-key",
          text: t("account.keys.delete"),
          "aria-label": t("account.keys.deleteOf", { key: name }),
          onclick: () => confirmDelete(k, name),
        }),
      ),
    );
  });
  return el(
    "div",
    { class: "scroll" },
    el(
      "table",
      { id: "keys-table" },
      el("thead", {}, el("tr", {}, ...["account.keys.label", "account.key.public", "account.keys.created", "account.keys.account", "account.key.actions"].map((k) => el("th", { scope: "col", i18n: k })))),
      el("tbody", {}, rows),
    ),
  );
}

function evidenceSafe(name) {
  return String(name).replace(/[\\/:*?"<>|\u0000-\u001f]/g, "_").slice(0, 100) || "key";
}

function confirmDelete(k, name) {
  const dialog = $("delete-dialog");
  $("delete-text").textContent = k.account
    ? t("account.delete.text", { key: name, account: k.account })
    : t("account.delete.textNoAccount", { key: name });
  const confirm = $("delete-confirm");
  const fresh = confirm.cloneNode(true); // drops the listener of an earlier opening
  confirm.replaceWith(fresh);
  fresh.addEventListener("click", async () => {
    dialog.close();
    try {
      await deleteKey(k.id);
      if (session?.key?.id === k.id) signOut();
      shown = "";
      await refresh();
      say($("keys-status"), "ok", t("account.delete.done", { key: name }));
    } catch (err) {
      say($("keys-status"), "error", explain(err));
    }
  });
  dialog.showModal();
  $("delete-cancel").focus();
}

async function importKeyFile(e) {
  const input = e.target;
  const file = input.files?.[0];
  const status = $("import-status");
  if (!file) return;
  // Whoever the header names is no longer sure to be who signs: it names
  // the key file's account once the node has said which that is.
  replace($("who"));
  say(status, "info", t("account.import.reading", { file: file.name }));
  try {
    // A key file is a few hundred bytes; anything large is another file.
    if (file.size > 16 << 10) throw new PageError("account.import.notKey", { file: file.name });
    const key = await importPEM(await file.text(), suite, { label: file.name });
    useKey(key.id);
    shown = "";
    await refresh();
    if (session?.account) say(status, "ok", t("account.import.done", { file: file.name, account: session.account.id }));
    else say(status, "info", t("account.import.noAccount", { file: file.name }));
  } catch (err) {
    say(status, "error", explain(err));
    showWho(session);
  } finally {
    input.value = "";
  }
}

function showKindFields() {
  const kind = $("register-form").elements.kind.value;
  $("reg-individual").hidden = kind !== "individual";
  $("reg-enterprise").hidden = kind !== "enterprise";
  $("reg-name-label").textContent = t(kind === "enterprise" ? "account.field.enterpriseName" : "account.field.name");
  $("reg-name-label").dataset.i18n = kind === "enterprise" ? "account.field.enterpriseName" : "account.field.name";
}

// The form's inputs for each real-name field.
const fieldInputs = {
  name: "reg-name",
  id_type: "reg-id-type",
  id_number: "reg-id-number",
  credit_code: "reg-credit-code",
  legal_representative: "reg-legal",
  agent: "reg-agent",
};

async function register(e) {
  e.preventDefault();
  const form = e.target;
  const status = $("register-status");
  const button = $("reg-submit");
  const kind = form.elements.kind.value;
  const invitation = $("reg-invitation").value.trim();
  const realName = {};
  try {
    if (!invitation) throw new PageError("account.register.missing", { field: t("account.register.invitation") }, "reg-invitation");
    for (const f of realNameFields[kind]) {
      realName[f] = $(fieldInputs[f]).value.trim();
      if (!realName[f]) {
        const label = f === "name" && kind === "enterprise" ? "account.field.enterpriseName" : "account.field." + f;
        throw new PageError("account.register.missing", { field: t(label) }, fieldInputs[f]);
      }
    }
    if (kind === "enterprise") {
      realName.credit_code = realName.credit_code.toUpperCase();
      if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(realName.credit_code)) throw new PageError("account.register.creditCode", {}, "reg-credit-code");
    }
  } catch (err) {
    say(status, "error", explain(err));
    if (err.field) $(err.field).focus();
    return;
  }
  button.disabled = true;
  try {
    // A key chosen here that has no account yet is used; otherwise (no key,
    // or one that already has an account) a new one is made.
    let key = session?.key && !session.account ? session.key : null;
    if (!key) {
      say(status, "info", t("account.register.creatingKey"));
      key = await generateKey(suite, { label: realName.name });
      useKey(key.id);
    }
    say(status, "info", t("account.register.sending"));
    const { account, request } = await registration({ suite, origin, institution, kind, realName, invitation, key });
    await api("/v1/registrations", { method: "POST", json: request });
    await updateKey(key.id, { account });
    awaitingAccount = account;
    form.reset();
    showKindFields();
    say(status, "ok", t("account.register.done", { account, institution }));
    shown = "";
    await refresh();
  } catch (err) {
    say(status, "error", explain(err));
    shown = "";
    await refresh();
  } finally {
    button.disabled = false;
  }
}
