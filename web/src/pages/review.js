// The review desk, for the reviewers and admins of the node's
// institution: invitation codes, the registrations awaiting review with
// the applicants' real-name data, and the institution's accounts with
// their history. A decision (approve, reject, suspend, reinstate) is an
// identity operation signed here with the reviewer's key exactly as the
// CLI signs it (identityop.js); the ledger has the last word, and a
// refusal is shown in the node's words.
import { startPage } from "../lib/page.js";
import { requireSession } from "../lib/session.js";
import { ApiError } from "../lib/api.js";
import { el, errorText, replace, say } from "../lib/dom.js";
import { formatTime, onLanguageChange, t } from "../lib/i18n.js";
import { facts } from "../lib/desk.js";
import { mayDecide, reasonProblem, signDecision } from "../lib/identityop.js";
import sessionTexts from "../../i18n/session.json";
import reviewTexts from "../../i18n/review.json";

// The decisions each status offers (identity.transition).
const offered = { pending: ["approve", "reject"], approved: ["suspend"], suspended: ["reinstate"] };
// Which statuses each choice of the accounts filter shows.
const filters = {
  active: ["approved", "suspended"],
  approved: ["approved"],
  suspended: ["suspended"],
  rejected: ["rejected"],
  all: ["pending", "approved", "suspended", "rejected"],
};

startPage([sessionTexts, reviewTexts], async () => {
  const gate = document.getElementById("gate");
  const desk = document.getElementById("desk");
  const session = await requireSession(gate, ["reviewer", "admin"]);
  if (!session) return;
  gate.hidden = true;
  desk.hidden = false;
  new Desk(session).start();
});

class Desk {
  constructor(session) {
    this.session = session;
    this.origin = document.body.dataset.origin;
    this.pending = null;
    this.accounts = null;
    this.invitation = null;
    this.status = document.getElementById("review-status");
    this.status.tabIndex = -1;
    this.pendingList = document.getElementById("pending-list");
    this.accountsList = document.getElementById("accounts-list");
    this.filter = document.getElementById("accounts-filter");
  }

  start() {
    this.wireInvitations();
    document.getElementById("review-refresh").addEventListener("click", () => this.load());
    this.filter.addEventListener("change", () => this.renderAccounts());
    onLanguageChange(() => {
      this.render();
      this.showInvitation();
    });
    this.load();
  }

  // announce shows the outcome of an action where keyboard and screen
  // reader users land after it.
  announce(kind, message) {
    say(this.status, kind, message);
    this.status.focus();
  }

  wireInvitations() {
    const form = document.getElementById("invite-form");
    const submit = document.getElementById("invite-submit");
    const status = document.getElementById("invite-status");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      say(status, "info", t("review.invite.issuing"));
      try {
        const validFor = document.getElementById("invite-valid").value;
        this.invitation = await this.session.call("/v1/invitations", { method: "POST", json: { valid_for: validFor } });
        status.hidden = true;
        this.showInvitation();
        document.getElementById("invite-copy").focus();
      } catch (err) {
        say(status, "error", errorText(err));
      } finally {
        submit.disabled = false;
      }
    });
    const copied = document.getElementById("invite-copied");
    document.getElementById("invite-copy").addEventListener("click", async () => {
      const code = this.invitation?.code;
      if (!code) return;
      try {
        await navigator.clipboard.writeText(code);
        copied.textContent = t("review.invite.copied");
      } catch {
        // No clipboard for this page (permission, or an older browser):
        // select the code so that the user copies it.
        const range = document.createRange();
        range.selectNodeContents(document.getElementById("invitation-code"));
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        copied.textContent = t("review.invite.copyFailed");
      }
    });
  }

  showInvitation() {
    const inv = this.invitation;
    if (!inv) return;
    document.getElementById("invitation-code").textContent = inv.code;
    document.getElementById("invitation-expires").textContent = t("review.invite.expires", {
      institution: inv.institution,
      time: formatTime(inv.expires),
    });
    document.getElementById("invite-copied").textContent = "";
    document.getElementById("invitation").hidden = false;
  }

  async load() {
    for (const list of [this.pendingList, this.accountsList]) list.setAttribute("aria-busy", "true");
    try {
      // Pending registrations by the API's own filter; the rest from the
      // whole list, which the filter on the page narrows.
      const [pending, all] = await Promise.all([
        this.session.call("/v1/accounts?status=pending"),
        this.session.call("/v1/accounts"),
      ]);
      this.pending = pending.accounts.sort((a, b) => registeredAt(a) - registeredAt(b));
      this.accounts = all.accounts.sort((a, b) => displayName(a).localeCompare(displayName(b)));
      this.render();
    } catch (err) {
      for (const list of [this.pendingList, this.accountsList]) {
        replace(list, el("p", { class: "notice error", role: "alert", text: errorText(err) }));
        list.setAttribute("aria-busy", "false");
      }
    }
  }

  render() {
    if (!this.pending) return;
    const reasons = this.typedReasons();
    replace(
      this.pendingList,
      this.pending.length === 0
        ? el("p", { class: "hint", text: t("review.pending.none") })
        : this.pending.map((a) => this.card(a)),
    );
    this.pendingList.setAttribute("aria-busy", "false");
    this.renderAccounts(reasons);
  }

  renderAccounts(reasons = this.typedReasons()) {
    if (!this.accounts) return;
    const shown = this.accounts.filter((a) => filters[this.filter.value].includes(a.status));
    replace(this.accountsList, shown.length === 0 ? el("p", { class: "hint", text: t("review.accounts.none") }) : shown.map((a) => this.card(a)));
    this.accountsList.setAttribute("aria-busy", "false");
    for (const [id, value] of reasons) {
      const input = document.getElementById(reasonId(id));
      if (input) input.value = value;
    }
  }

  // typedReasons keeps what the user typed across a redraw.
  typedReasons() {
    const out = new Map();
    for (const input of document.querySelectorAll("input.reason")) if (input.value) out.set(input.dataset.account, input.value);
    return out;
  }

  card(info) {
    const rn = info.real_name;
    const headingId = "h-" + info.id;
    const registered = info.history?.find((e) => e.op === "register");
    const keys = info.keys ?? [];
    return el(
      "article",
      { class: "account-card", "aria-labelledby": headingId, dataset: { account: info.id, status: info.status } },
      el("h3", { id: headingId }, displayName(info), " ", el("span", { class: "tag status-" + info.status, text: t("status." + info.status) })),
      facts([
        ["review.field.account", el("code", { text: info.id })],
        ["review.field.role", t("role." + info.role)],
        ["review.field.kind", t("kind." + info.kind)],
        ["review.field.document", rn?.id_type ? `${rn.id_type} ${rn.id_number}` : undefined],
        ["review.field.creditCode", rn?.credit_code],
        ["review.field.legalRepresentative", rn?.legal_representative],
        ["review.field.agent", rn?.agent],
        ["review.field.registered", registered && t("review.registeredAt", { height: registered.height })],
        ["review.field.keys", t("review.keyCount", { active: keys.filter((k) => !k.revoked).length, total: keys.length })],
        ["review.field.version", String(info.version)],
      ]),
      !rn && info.role === "depositor" ? el("p", { class: "hint", text: t("review.noRealName") }) : null,
      this.controls(info),
      history(info),
    );
  }

  // controls are the decisions the ledger lets this user make on the
  // account now (identity.MayDecide and the account's status).
  controls(info) {
    if (info.status === "rejected") return el("p", { class: "hint", text: t("review.final") });
    const me = this.session.account;
    const actions = offered[info.status] ?? [];
    const allowed = actions.filter((a) => me.institution === info.institution && mayDecide(me.role, a, info.role));
    if (actions.length === 0) return null;
    if (allowed.length === 0) {
      return el("p", { class: "hint", text: t("review.notYours", { institution: info.institution, role: t("role." + info.role) }) });
    }
    const id = reasonId(info.id);
    const status = el("p", { id: id + "-status", role: "status", hidden: true });
    const input = el("input", {
      type: "text",
      id,
      class: "reason",
      autocomplete: "off",
      "aria-describedby": `${id}-hint ${id}-status`,
      dataset: { account: info.id },
    });
    const name = displayName(info);
    const buttons = allowed.map((action) =>
      el("button", {
        type: "button",
        class: action + (action === "approve" || action === "reinstate" ? " primary" : ""),
        dataset: { action },
        "aria-label": t("review.actionLabel." + action, { name }),
        text: t("review.action." + action),
        onclick: () => this.decide(info, action, input, status, buttons),
      }),
    );
    return el(
      "div",
      { class: "decide" },
      el("label", { for: id, text: t("review.reason") }),
      input,
      el("p", { class: "hint", id: id + "-hint", text: t(info.status === "pending" ? "review.reasonHint.pending" : "review.reasonHint.required") }),
      el("div", { class: "row" }, buttons),
      el("div", { class: "item-status" }, status),
    );
  }

  async decide(info, action, input, status, buttons) {
    const reason = input.value.trim();
    const p = reasonProblem(action, reason);
    if (p) {
      say(status, "error", t("review.reason." + p.problem, p.params));
      input.focus();
      return;
    }
    for (const b of buttons) b.disabled = true;
    say(status, "info", t("review.signing"));
    let outcome;
    try {
      // The version is the one the list showed: if the account changed
      // meanwhile, the ledger refuses the decision rather than apply it
      // to a state the reviewer did not see.
      const op = { origin: this.origin, account: info.id, version: info.version, action, reason };
      const note = await signDecision(op, this.session.account.id, this.session.key);
      const res = await this.session.call("/v1/identity", { method: "POST", json: { note } });
      if (res?.applied === false) outcome = ["info", t("review.notApplied", { account: info.id })];
      else outcome = ["ok", t("review.applied", { name: displayName(info), account: info.id, status: t("status." + res.status) })];
    } catch (err) {
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 401) {
        outcome = ["error", t("review.refused", { account: info.id, message: err.message.replace(/[.。]$/, "") })];
      } else {
        outcome = ["error", errorText(err)];
      }
    }
    // The lists are redrawn first, so that the outcome is announced on
    // the page as it now stands.
    input.value = "";
    await this.load();
    this.announce(...outcome);
  }
}

function reasonId(account) {
  return "reason-" + account;
}

function registeredAt(info) {
  return info.history?.find((e) => e.op === "register")?.height ?? 0;
}

function displayName(info) {
  return info.real_name?.name ?? t("review.unnamed", { account: info.id });
}

// history is the account's changes as the ledger recorded them.
function history(info) {
  const events = info.history ?? [];
  const by = (who) => {
    if (who.startsWith("node:")) return t("review.history.node", { institution: who.slice(5) });
    if (who === "self") return t("review.history.self");
    return who;
  };
  return el(
    "details",
    { class: "history" },
    el("summary", { text: t("review.history.summary", { count: events.length }) }),
    el(
      "div",
      { class: "scroll" },
      el(
        "table",
        {},
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ["review.history.height", "review.history.op", "review.history.by", "review.history.reason"].map((k) => el("th", { scope: "col", text: t(k) })),
          ),
        ),
        el(
          "tbody",
          {},
          events.map((e) =>
            el(
              "tr",
              {},
              el("td", { text: String(e.height) }),
              el("td", { text: t("review.op." + e.op) }),
              el("td", { class: "mono", text: (e.by ?? []).map(by).join(", ") }),
              el("td", { text: e.reason ?? "" }),
            ),
          ),
        ),
      ),
    ),
  );
}
