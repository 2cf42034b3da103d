// The court desk, for the judges and clerks of a court: a case's granted
// evidence, each item verified in this browser against a trust policy
// (the node's, or better the court's own policy file), the originals read
// (each read is recorded on the ledger before the node serves it), and
// each item's access trail; and evidence packages (ZIP) imported at this
// court: the node verifies each under the court's own trusted policies and
// records the verdict on its ledger.
import { startPage } from "../lib/page.js";
import { requireSession } from "../lib/session.js";
import { ApiError, apiBlob } from "../lib/api.js";
import { hashBlob } from "../lib/hash.js";
import { el, errorText, replace, say } from "../lib/dom.js";
import { formatNumber, formatTime, onLanguageChange, t } from "../lib/i18n.js";
import { facts, short } from "../lib/desk.js";
import { CheckError, Checks, contentAlgorithms, MAX_POLICY_SIZE, readPolicy, verifyReceipt } from "../verify/index.js";
import sessionTexts from "../../i18n/session.json";
import courtTexts from "../../i18n/court.json";

// previewLimit bounds the text of an original shown in the page.
const previewLimit = 256 << 10;

startPage([sessionTexts, courtTexts], async () => {
  const gate = document.getElementById("gate");
  const desk = document.getElementById("desk");
  const session = await requireSession(gate, ["judge", "clerk"]);
  if (!session) return;
  gate.hidden = true;
  desk.hidden = false;
  await new Desk(session).start();
});

class Desk {
  constructor(session) {
    this.session = session;
    // policy is {policy, source: "node"|"file", name}; null until loaded.
    this.policy = null;
    this.policyError = null;
    // evidence is the open case: {court, case, deposits}.
    this.evidence = null;
    // items keep, per deposit id, what this page learned of it.
    this.items = new Map();
    this.form = document.getElementById("case-form");
    this.court = document.getElementById("case-court");
    this.caseNo = document.getElementById("case-number");
    this.caseStatus = document.getElementById("case-status");
    this.list = document.getElementById("evidence-list");
  }

  async start() {
    const params = new URLSearchParams(location.search);
    this.court.value = params.get("court") ?? this.session.account.institution;
    this.caseNo.value = params.get("case") ?? "";
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.open(this.court.value.trim(), this.caseNo.value.trim());
    });
    document.getElementById("policy-file").addEventListener("change", (event) => this.loadPolicyFile(event.target));
    onLanguageChange(() => {
      this.showPolicy();
      this.renderEvidence();
      this.imports?.render();
    });
    this.imports = new Imports(this.session);
    this.imports.start();
    await this.loadNodePolicy();
    if (this.court.value && this.caseNo.value) await this.open(this.court.value, this.caseNo.value);
  }

  async loadNodePolicy() {
    const source = document.getElementById("policy-source");
    say(source, "info", t("court.policy.loading"));
    try {
      const { blob } = await apiBlob("/policy");
      // Read as bytes, as Go reads the file (see readPolicy).
      const policy = await readPolicy(blob);
      // A file the user loaded while the node's policy was on its way wins.
      if (!this.policy) this.policy = { policy, source: "node" };
      this.policyError = null;
    } catch (err) {
      this.policyError = errorText(err);
    }
    this.showPolicy();
  }

  async loadPolicyFile(input) {
    const file = input.files?.[0];
    if (!file) return;
    const source = document.getElementById("policy-source");
    if (file.size > MAX_POLICY_SIZE) {
      say(source, "error", t("court.policy.tooLarge", { name: file.name, size: formatNumber(file.size), max: formatNumber(MAX_POLICY_SIZE) }));
      return;
    }
    try {
      // Its bytes: file.text() would drop a byte order mark and mend
      // invalid UTF-8, accepting a file Go's verifier refuses.
      const policy = await readPolicy(file);
      this.policy = { policy, source: "file", name: file.name };
      this.showPolicy();
      say(source, "ok", t("court.policy.loaded", { name: file.name }));
    } catch (err) {
      say(source, "error", t("court.policy.bad", { name: file.name, message: err?.message ?? String(err) }));
    }
  }

  // policyName names the policy in use within a sentence (a verdict).
  policyName() {
    const p = this.policy;
    return p.source === "file" ? t("court.policy.fileIn", { name: p.name }) : t("court.policy.nodeIn");
  }

  showPolicy() {
    const source = document.getElementById("policy-source");
    const summary = document.getElementById("policy-summary");
    const details = document.getElementById("policy-details");
    if (!this.policy) {
      say(source, "error", this.policyError ? t("court.policy.failed", { message: this.policyError }) : t("court.policy.none"));
      summary.textContent = "";
      details.hidden = true;
      return;
    }
    const { policy } = this.policy;
    const p = this.policy;
    say(source, p.source === "file" ? "ok" : "info", p.source === "file" ? t("court.policy.file", { name: p.name }) : t("court.policy.node"));
    const witnesses = (policy.witnesses ?? []).map((w) => w.name ?? String(w));
    summary.textContent = t("court.policy.summary", {
      suite: t("suite." + policy.suite),
      logs: policy.logs.map((l) => l.name).join(", "),
      witnesses: witnesses.length ? witnesses.join(", ") : t("court.policy.noWitnesses"),
      quorum: policy.quorum,
    });
    document.getElementById("policy-text").textContent = policy.text;
    details.hidden = false;
  }

  async open(court, caseNo) {
    if (!court || !caseNo) {
      say(this.caseStatus, "error", t("court.needCase"));
      return;
    }
    // The case goes into the address, so that it can be bookmarked and
    // reopened after a reload.
    const url = new URL(location.href);
    url.search = new URLSearchParams({ court, case: caseNo }).toString();
    history.replaceState(null, "", url);
    say(this.caseStatus, "info", t("court.opening"));
    this.evidence = null;
    this.items.clear();
    replace(this.list);
    try {
      this.evidence = await this.session.call(`/v1/cases/${encodeURIComponent(court)}/${encodeURIComponent(caseNo)}`);
      this.renderEvidence();
    } catch (err) {
      say(this.caseStatus, "error", errorText(err));
    }
  }

  renderEvidence() {
    const ev = this.evidence;
    if (!ev) return;
    const n = ev.deposits.length;
    if (n === 0) say(this.caseStatus, "info", t("court.evidence.none", { case: ev.case, court: ev.court }));
    else say(this.caseStatus, "ok", t("court.evidence.heading", { case: ev.case, court: ev.court, count: formatNumber(n) }));
    replace(
      this.list,
      ev.deposits.map((d) => this.item(d)),
    );
  }

  state(id) {
    if (!this.items.has(id)) this.items.set(id, {});
    return this.items.get(id);
  }

  item(d) {
    const st = this.state(d.id);
    const index = d.index ?? "?";
    const headingId = "dep-" + d.id;
    const digests = Object.entries(d.entry?.digests ?? {}).map(([alg, v]) =>
      el("div", {}, el("span", { class: "tag", text: alg }), " ", el("code", { text: v })),
    );
    const box = (cls) => el("div", { class: cls, "aria-live": "polite" });
    st.verdictBox = box("verdict-box");
    st.originalBox = box("original-box");
    st.trailBox = box("trail-box");
    st.progress = el("progress", { max: 100, value: 0, hidden: true, "aria-label": t("court.verifyLabel", { index }) });
    const button = (cls, textKey, labelKey, fn) =>
      el("button", { type: "button", class: cls, text: t(textKey), "aria-label": t(labelKey, { index }), onclick: (e) => fn(e.currentTarget) });
    const committed = d.status === "committed";
    const article = el(
      "article",
      { class: "evidence", "aria-labelledby": headingId, dataset: { deposit: d.id, index: String(index) } },
      el("h3", { id: headingId, text: t("court.item.title", { index }) }),
      facts([
        ["court.item.id", el("code", { text: d.id })],
        ["court.item.certified", d.time ? formatTime(d.time) : undefined],
        ["court.proven.content", digests.length ? digests : undefined],
        ["court.item.size", d.entry ? t("court.item.bytes", { size: formatNumber(d.entry.size) }) : undefined],
      ]),
      committed
        ? el(
            "div",
            { class: "row actions" },
            button("verify primary", "court.verify", "court.verifyLabel", (b) => this.verify(d, b)),
            button("read", "court.read", "court.readLabel", (b) => this.read(d, b)),
            button("trail", "court.trail", "court.trailLabel", (b) => this.trail(d, b)),
          )
        : el("p", { class: "notice info", text: t("court.item.pending") }),
      st.progress,
      st.verdictBox,
      st.originalBox,
      st.trailBox,
    );
    // A redraw (a language switch) keeps what was shown.
    if (st.proven !== undefined || st.failure) this.showVerdict(d);
    if (st.original) this.showOriginal(d);
    if (st.trail !== undefined) this.showTrail(d);
    return article;
  }

  // original fetches the deposit's original under the case, once per
  // page: each fetch is a read the node records on the ledger.
  async original(d) {
    const st = this.state(d.id);
    if (st.original) return st.original;
    const path = `/v1/deposits/${d.id}/original?case=${encodeURIComponent(this.evidence.case)}`;
    const { blob, headers } = await apiBlob(path, { key: this.session.key });
    st.original = { blob, entry: headers.get("Jurichain-Trail-Entry") ?? "", at: new Date() };
    return st.original;
  }

  // opening fetches the deposit's metadata opening (a read the node also
  // records), or says why there is none.
  async opening(d) {
    const st = this.state(d.id);
    if (st.opening === undefined) {
      try {
        st.opening = await this.session.call(`/v1/deposits/${d.id}/opening`);
      } catch (err) {
        if (!(err instanceof ApiError) || (err.status !== 403 && err.status !== 404)) throw err;
        st.opening = null;
        st.openingProblem = errorText(err);
      }
    }
    return st.opening;
  }

  async verify(d, button) {
    const st = this.state(d.id);
    if (!this.policy) {
      note(st.verdictBox, "error", t("court.policy.none"));
      document.getElementById("policy-file").focus();
      return;
    }
    const { policy } = this.policy;
    const policyName = this.policyName();
    button.disabled = true;
    st.proven = undefined;
    st.failure = null;
    st.notes = [];
    try {
      note(st.verdictBox, "info", t("court.step.opening"));
      const opening = await this.opening(d);
      if (opening === null) st.notes.push(t("court.noOpening", { message: st.openingProblem }));
      note(st.verdictBox, "info", t("court.step.original"));
      const receipt = new TextEncoder().encode(d.receipt ?? "");
      let digests;
      try {
        const { blob } = await this.original(d);
        this.showOriginal(d);
        st.progress.hidden = false;
        st.progress.value = 0;
        digests = await hashBlob(blob, contentAlgorithms(policy, receipt), (done, total) => {
          const percent = total ? Math.floor((100 * done) / total) : 100;
          st.progress.value = percent;
          note(st.verdictBox, "info", t("court.step.hash", { percent }));
        });
      } catch (err) {
        // Without an original in the vault, the receipt is still checked.
        if (!(err instanceof ApiError) || (err.status !== 403 && err.status !== 404)) throw err;
        st.notes.push(t("court.noOriginal", { message: errorText(err) }));
      }
      note(st.verdictBox, "info", t("court.step.proof"));
      // The receipt must prove this item, not another deposit's: the node
      // that lists the case also serves the receipts.
      const expect = { depositId: d.id, index: d.index ?? undefined };
      st.proven = await verifyReceipt(policy, receipt, { digests, opening: opening ?? undefined, expect });
      st.policyName = policyName;
    } catch (err) {
      st.failure = err instanceof CheckError ? { check: err.check, message: err.message } : { message: errorText(err) };
      st.policyName = policyName;
    } finally {
      st.progress.hidden = true;
      button.disabled = false;
    }
    this.showVerdict(d);
  }

  showVerdict(d) {
    const st = this.state(d.id);
    const notes = (st.notes ?? []).map((n) => el("p", { class: "hint", text: n }));
    if (st.failure) {
      const f = st.failure;
      if (!f.check) {
        replace(st.verdictBox, el("p", { class: "notice error", role: "alert", text: f.message }));
        return;
      }
      const key = Object.keys(Checks).find((k) => Checks[k] === f.check);
      replace(
        st.verdictBox,
        el(
          "div",
          { class: "notice error verdict-panel", role: "alert" },
          el("p", { class: "verdict bad", text: t("court.notVerified", { policy: st.policyName, check: key ? t("court.check." + key) : f.check }) }),
          el("p", { class: "mono", text: f.message }),
          el("p", { text: t("court.notVerifiedNext") }),
        ),
        notes,
      );
      return;
    }
    const p = st.proven;
    if (!p) return;
    // Without the original, the receipt proves a deposit, not that any
    // file is its content: not the verdict of a checked item.
    const contentChecked = (p.checkedDigests ?? []).length > 0;
    const m = p.metadata;
    const captured = m?.capture ? Object.entries(m.capture).map(([k, v]) => `${k}: ${v}`).join("; ") : undefined;
    replace(
      st.verdictBox,
      el(
        "div",
        { class: contentChecked ? "notice ok verdict-panel" : "notice info verdict-panel", role: "status" },
        contentChecked
          ? el("p", { class: "verdict ok", text: t("court.verified", { policy: st.policyName }) })
          : [
              el("p", { class: "verdict partial", text: t("court.verifiedNoContent", { policy: st.policyName }) }),
              el("p", { class: "why", text: t("court.verifiedNoContentWhy") }),
            ],
        facts([
          ["court.proven.content", p.leaf.digests.map((g) => el("div", {}, el("span", { class: "tag", text: g.algorithm }), " ", el("code", { text: g.hex })))],
          ["court.proven.size", t("court.item.bytes", { size: formatNumber(p.leaf.size) })],
          ["court.proven.depositor", el("code", { text: p.leaf.depositorKey })],
          ["court.proven.time", el("span", {}, el("code", { text: p.leaf.time }), " (", formatTime(p.leaf.time), ")")],
          ["court.proven.log", t("court.proven.logValue", { origin: p.origin, index: p.index, size: p.treeSize })],
          ["court.proven.root", el("code", { text: p.rootHash })],
          ["court.proven.cosigners", (p.cosigners ?? []).join(", ")],
          ["court.proven.metadata", m ? t("court.proven.metadataChecked") : undefined],
          ["court.proven.title", m?.title],
          ["court.proven.mediaType", m?.media_type],
          ["court.proven.caseRef", m?.case_ref],
          ["court.proven.captured", captured],
        ]),
        el("details", {}, el("summary", { text: t("court.proven.checkpoint") }), el("pre", { class: "mono", text: p.checkpointText })),
      ),
      notes,
    );
  }

  async read(d, button) {
    const st = this.state(d.id);
    button.disabled = true;
    note(st.originalBox, "info", t("court.original.saving"));
    try {
      await this.opening(d).catch(() => null); // for the media type and the file name, when the court may read it
      await this.original(d);
      this.showOriginal(d);
      st.originalBox.querySelector("a.save")?.focus();
    } catch (err) {
      note(st.originalBox, "error", errorText(err));
    } finally {
      button.disabled = false;
    }
  }

  showOriginal(d) {
    const st = this.state(d.id);
    const o = st.original;
    if (!o) return;
    const index = d.index ?? "?";
    const name = fileName(st.opening?.title, index);
    const type = st.opening?.media_type ?? "";
    o.url ??= URL.createObjectURL(o.blob);
    const preview = previewOf(o, type, index);
    replace(
      st.originalBox,
      el("p", { class: "hint", text: t("court.original.read", { time: formatTime(o.at), entry: o.entry }) }),
      el("p", {}, el("a", { class: "button save", href: o.url, download: name, text: t("court.original.save", { name }) })),
      preview,
    );
  }

  async trail(d, button) {
    const st = this.state(d.id);
    button.disabled = true;
    note(st.trailBox, "info", t("court.trail.loading"));
    try {
      st.trail = await this.session.call(`/v1/deposits/${d.id}/trail`);
    } catch (err) {
      note(st.trailBox, "error", errorText(err));
      button.disabled = false;
      return;
    }
    button.disabled = false;
    this.showTrail(d);
  }

  showTrail(d) {
    const st = this.state(d.id);
    const index = d.index ?? "?";
    const entries = st.trail.entries ?? [];
    const parts = [
      entries.length === 0
        ? el("p", { class: "hint", text: t("court.trail.none") })
        : el(
            "div",
            { class: "scroll" },
            el(
              "table",
              { class: "trail" },
              el("caption", { text: t("court.trail.caption", { index }) }),
              el(
                "thead",
                {},
                el(
                  "tr",
                  {},
                  ["court.trail.when", "court.trail.who", "court.trail.what", "court.trail.entry"].map((k) => el("th", { scope: "col", text: t(k) })),
                ),
              ),
              el("tbody", {}, entries.map((e) => trailRow(e))),
            ),
          ),
    ];
    replace(st.trailBox, parts);
  }
}

// note shows a message in one of an item's boxes, which keep their own
// class (say would replace it).
function note(box, kind, message) {
  replace(box, el("p", { class: "notice " + kind, role: kind === "error" ? "alert" : "status", text: message }));
}

// trailRow is one access-trail record: when, who, what, and the ledger
// entry that holds it.
function trailRow(e) {
  const r = e.record ?? {};
  const who = r.actor?.startsWith("node:")
    ? t("court.trail.nodeActor", { institution: r.actor.slice(5) })
    : t("court.trail.actor", { actor: r.actor, role: t("role." + r.actor_role), institution: r.actor_institution });
  let what = t("court.trail.action." + r.action, { case: r.case ?? "", court: r.court ?? "" });
  if (r.action === "read-original" && r.via) {
    const via = { grant: "court.trail.via.grant", owner: "court.trail.via.owner", "share code": "court.trail.via.share" }[r.via];
    if (via) what += " " + t(via, { case: r.case ?? "" });
  }
  const status = e.status === "committed" ? t("court.trail.status.committed", { index: e.index }) : t("court.trail.status.pending");
  return el(
    "tr",
    { dataset: { action: r.action ?? "", actor: r.actor ?? "" } },
    el("td", { text: r.at ? formatTime(r.at) : "" }),
    el("td", { text: who }),
    el("td", { text: what }),
    el("td", {}, el("code", { class: "trail-entry", title: e.id, text: short(e.id ?? "", 16) }), " ", status),
  );
}

// fileName is a safe name to save an original under: its title when the
// metadata gives one, else the deposit's number.
function fileName(title, index) {
  const clean = (title ?? "")
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069/\\:*?"<>|]/g, "_")
    .replace(/^\.+/, "")
    .trim()
    .slice(0, 150);
  return clean || `deposit-${index}.bin`;
}

// previewOf shows an original the browser can show safely: a picture, a
// video or sound, or text; anything else is only saved.
function previewOf(o, type, index) {
  const label = t("court.original.preview", { index });
  if (/^image\//.test(type)) return el("img", { class: "preview", src: o.url, alt: label });
  if (/^video\//.test(type)) return el("video", { class: "preview", src: o.url, controls: true, "aria-label": label });
  if (/^audio\//.test(type)) return el("audio", { src: o.url, controls: true, "aria-label": label });
  if (/^text\/|^application\/(json|xml)/.test(type)) {
    const pre = el("pre", { class: "original-text", tabindex: "0", "aria-label": label });
    o.blob
      .slice(0, previewLimit)
      .text()
      .then((s) => {
        pre.textContent = s;
      });
    return [pre, o.blob.size > previewLimit ? el("p", { class: "hint", text: t("court.original.truncated", { size: formatNumber(previewLimit) }) }) : null];
  }
  return el("p", { class: "hint", text: t("court.original.noPreview") });
}

// Imports is the section of imported evidence packages: a ZIP chosen here
// is streamed to the node (POST /v1/packages/import), which verifies it
// and answers once its verdict is on the ledger; the earlier imports are
// listed below it.
class Imports {
  constructor(session) {
    this.session = session;
    this.form = document.getElementById("import-form");
    this.file = document.getElementById("import-file");
    this.submit = document.getElementById("import-submit");
    this.progress = document.getElementById("import-progress");
    this.status = document.getElementById("import-status");
    this.result = document.getElementById("import-result");
    this.listBox = document.getElementById("import-list");
    // last is the latest import answered here, with its file's name.
    this.last = null;
    this.list = null;
    this.listError = null;
  }

  start() {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.load();
  }

  async send() {
    const file = this.file.files?.[0];
    if (!file) {
      say(this.status, "error", t("court.imports.needFile"));
      this.file.focus();
      return;
    }
    this.submit.disabled = true;
    this.progress.hidden = false;
    replace(this.result);
    say(this.status, "info", t("court.imports.uploading", { name: file.name, size: formatNumber(file.size) }));
    try {
      const answer = await this.session.call("/v1/packages/import", {
        method: "POST",
        body: file,
        headers: { "Content-Type": "application/zip" },
      });
      this.last = { answer, name: file.name };
      this.render();
      await this.load();
    } catch (err) {
      say(this.status, "error", errorText(err));
    } finally {
      this.submit.disabled = false;
      this.progress.hidden = true;
    }
  }

  async load() {
    try {
      this.list = (await this.session.call("/v1/packages/imports")).imports ?? [];
      this.listError = null;
    } catch (err) {
      this.listError = errorText(err);
    }
    this.renderList();
  }

  render() {
    if (this.last) {
      const { answer, name } = this.last;
      const ok = answer.verdict === "verified";
      say(
        this.status,
        ok ? "ok" : "error",
        t("court.imports.done", {
          name,
          verdict: t("court.imports.verdict." + (ok ? "verified" : "failed")),
          count: formatNumber(answer.items.length),
          number: answer.deposit?.index ?? "?",
        }),
      );
      replace(this.result, itemTable(answer));
    }
    this.renderList();
  }

  renderList() {
    if (this.listError) {
      replace(this.listBox, el("p", { class: "notice error", role: "alert", text: t("court.imports.listFailed", { message: this.listError }) }));
      return;
    }
    if (!this.list) return;
    if (this.list.length === 0) {
      replace(this.listBox, el("p", { class: "hint", text: t("court.imports.none") }));
      return;
    }
    const head = ["court.imports.when", "court.imports.case", "court.imports.verdict", "court.imports.items", "court.imports.entry"];
    replace(
      this.listBox,
      el(
        "div",
        { class: "scroll" },
        el(
          "table",
          { class: "imports" },
          el("caption", { text: t("court.imports.listCaption") }),
          el("thead", {}, el("tr", {}, head.map((k) => el("th", { scope: "col", text: t(k) })))),
          el(
            "tbody",
            {},
            this.list.map((im) =>
              el(
                "tr",
                { dataset: { import: im.import, verdict: im.verdict } },
                el("td", { text: formatTime(im.at) }),
                el("td", { text: im.case }),
                el("td", { text: t("court.imports.verdict." + (im.verdict === "verified" ? "verified" : "failed")) }),
                el("td", { text: formatNumber(im.items.length) }),
                el("td", { text: im.deposit?.index !== undefined ? "#" + im.deposit.index : t("court.imports.pending") }),
              ),
            ),
          ),
        ),
      ),
    );
  }
}

// itemTable is the verdict of each item of one import: its folder in the
// package, its deposit, the verdict and, when it failed, the check.
function itemTable(im) {
  const head = ["court.imports.item", "court.imports.deposit", "court.imports.verdict", "court.imports.check"];
  return el(
    "div",
    { class: "scroll" },
    el(
      "table",
      { class: "import-items", dataset: { import: im.import } },
      el("caption", { text: t("court.imports.caption", { id: im.import, case: im.case }) }),
      el("thead", {}, el("tr", {}, head.map((k) => el("th", { scope: "col", text: t(k) })))),
      el(
        "tbody",
        {},
        im.items.map((it) =>
          el(
            "tr",
            { dataset: { verdict: it.verdict } },
            el("td", {}, el("code", { text: it.path })),
            el("td", {}, it.deposit ? el("code", { text: short(it.deposit) }) : "-"),
            el("td", { text: t("court.imports.verdict." + (it.verdict === "verified" ? "verified" : "failed")) }),
            el("td", { text: it.check ? `${it.check}: ${it.reason ?? ""}` : "-" }),
          ),
        ),
      ),
    ),
  );
}
