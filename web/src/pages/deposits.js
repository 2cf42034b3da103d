// The depositor's evidence: drop files (or pick them) to hash them here
// and deposit their digests, optionally with the originals; list the
// account's deposits; open one to download its receipt, metadata opening
// and certificate, grant it to a court case, issue share codes, and read
// its access trail.
import { startPage } from "../lib/page.js";
import { requireSession } from "../lib/session.js";
import { apiBlob } from "../lib/api.js";
import { hashBlob } from "../lib/hash.js";
import {
  contentAlgorithm,
  depositBlob,
  evidenceBase,
  formatSize,
  mediaTypeOf,
  openingFile,
  openingName,
  receiptName,
  resultView,
} from "../lib/evidence.js";
import { explain } from "../lib/problem.js";
import { download, el, replace, say } from "../lib/dom.js";
import { formatNumber, formatTime, onLanguageChange, t } from "../lib/i18n.js";
import sessionTexts from "../../i18n/session.json";
import depositsTexts from "../../i18n/deposits.json";

const { suite, origin } = document.body.dataset;
const $ = (id) => document.getElementById(id);

let session = null;
const queue = [];
let hashing = Promise.resolve();
let nextItem = 1;
let listed = [];
const titles = new Map(); // deposit id → title, from openings read

startPage([sessionTexts, depositsTexts], main);

async function main() {
  session = await requireSession($("gate"), ["depositor"]);
  if (!session) return;
  $("gate").hidden = true;
  $("deposits-app").hidden = false;
  wireDropZone();
  $("deposit-start").addEventListener("click", depositAll);
  $("list-refresh").addEventListener("click", loadList);
  window.addEventListener("popstate", showDetailFromURL);
  onLanguageChange(() => {
    renderList();
    for (const item of queue) renderItem(item);
    showDetailFromURL();
  });
  showDetailFromURL();
  await loadList();
}

// Dropping and picking files.

function wireDropZone() {
  const zone = $("drop-zone");
  const picker = $("deposit-files");
  zone.addEventListener("click", () => picker.click());
  zone.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      picker.click();
    }
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (e) => {
      e.preventDefault();
      e.dataTransfer && (e.dataTransfer.dropEffect = "copy");
      zone.classList.add("over");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    addFiles(e.dataTransfer?.files);
  });
  // A file dropped beside the zone must not make the browser open it and
  // leave the page.
  for (const type of ["dragover", "drop"]) window.addEventListener(type, (e) => e.preventDefault());
  picker.addEventListener("change", () => {
    addFiles(picker.files);
    picker.value = "";
  });
}

function addFiles(files) {
  if (!files || files.length === 0) return;
  for (const file of files) {
    const item = { n: nextItem++, file, state: {}, stage: "queued", title: file.name, mediaType: mediaTypeOf(file) };
    item.node = el("li", { class: "queue-item", dataset: { state: "queued" } });
    queue.push(item);
    $("queue").append(item.node);
    renderItem(item);
    hashing = hashing.then(() => hashItem(item));
  }
  $("queue").hidden = false;
  say($("deposit-status"), "info", t("deposits.added", { count: files.length }));
  updateStart();
}

async function hashItem(item) {
  if (item.removed) return;
  setStage(item, "hash");
  try {
    const alg = contentAlgorithm(suite);
    item.state.digests = await hashBlob(item.file, [alg], (done, total) => progress(item, done, total));
    setStage(item, "ready");
  } catch (err) {
    item.error = explain(err);
    setStage(item, "error");
  }
}

function setStage(item, stage) {
  item.stage = stage;
  item.node.dataset.state = stage;
  renderItem(item);
  updateStart();
}

function progress(item, done, total) {
  const bar = item.node.querySelector("progress");
  if (!bar) return;
  bar.max = total || 1;
  bar.value = done;
  bar.textContent = total ? Math.floor((done / total) * 100) + "%" : "";
}

const stageTexts = {
  queued: "deposits.stage.queued",
  hash: "deposits.stage.hash",
  ready: "deposits.stage.ready",
  sign: "deposits.stage.sign",
  submit: "deposits.stage.submit",
  wait: "deposits.stage.wait",
  check: "deposits.stage.check",
  upload: "deposits.stage.upload",
  done: "deposits.stage.done",
  error: "deposits.stage.error",
};

function renderItem(item) {
  const { n, file } = item;
  const editable = item.stage === "queued" || item.stage === "hash" || item.stage === "ready" || (item.stage === "error" && !item.state.prepared);
  const busy = ["hash", "sign", "submit", "wait", "check", "upload"].includes(item.stage);
  const titleInput = el("input", {
    type: "text",
    id: `title-${n}`,
    value: item.title,
    disabled: !editable,
    oninput: (e) => (item.title = e.target.value),
  });
  const typeInput = el("input", {
    type: "text",
    id: `type-${n}`,
    value: item.mediaType,
    disabled: !editable,
    spellcheck: "false",
    oninput: (e) => (item.mediaType = e.target.value.trim()),
  });
  const showBar = item.stage === "hash" || item.stage === "upload";
  replace(
    item.node,
    el(
      "div",
      { class: "item-head" },
      el("strong", { text: file.name }),
      el("span", { class: "hint", text: formatSize(file.size) }),
      item.stage === "done" || busy
        ? null
        : el("button", {
            type: "button",
            class: "remove",
            text: t("deposits.remove"),
            "aria-label": t("deposits.removeOf", { file: file.name }),
            onclick: () => removeItem(item),
          }),
    ),
    el("label", { for: `title-${n}`, text: t("deposits.title") }),
    titleInput,
    el("label", { for: `type-${n}`, text: t("deposits.mediaType") }),
    typeInput,
    showBar ? el("label", { for: `progress-${n}`, class: "hint", text: t(stageTexts[item.stage], { file: file.name }) }) : null,
    showBar ? el("progress", { id: `progress-${n}`, max: "1", value: "0" }) : null,
    el("p", {
      class: "item-status" + (item.stage === "error" ? " notice error" : ""),
      role: item.stage === "error" ? "alert" : "status",
      text: item.stage === "error" ? item.error : t(stageTexts[item.stage], { file: file.name }),
    }),
    item.stage === "error"
      ? el("button", { type: "button", class: "retry", text: t("common.retry"), "aria-label": t("deposits.retryOf", { file: file.name }), onclick: () => depositItem(item) })
      : null,
    item.stage === "done" ? resultView(item.state, item.title) : null,
  );
}

function removeItem(item) {
  item.removed = true;
  item.node.remove();
  queue.splice(queue.indexOf(item), 1);
  if (queue.length === 0) $("queue").hidden = true;
  updateStart();
  $("drop-zone").focus();
}

function updateStart() {
  const waiting = queue.filter((i) => i.stage === "ready").length;
  const button = $("deposit-start");
  button.disabled = waiting === 0;
  button.textContent = waiting > 1 ? t("deposits.startN", { count: waiting }) : t("deposits.start");
}

// Depositing.

let running = false;

async function depositAll() {
  if (running) return;
  running = true;
  $("deposit-start").disabled = true;
  let done = 0;
  let failed = 0;
  try {
    for (const item of [...queue]) {
      if (item.stage !== "ready") continue;
      if (await depositItem(item)) done++;
      else failed++;
    }
  } finally {
    running = false;
    updateStart();
  }
  if (failed > 0) say($("deposit-status"), "error", t("deposits.someFailed", { failed, done }));
  else say($("deposit-status"), "ok", t("deposits.allDone", { count: done }));
  await loadList();
}

async function depositItem(item) {
  const caseRef = $("case-ref").value.trim();
  // What the first attempt was signed with is what a retry sends.
  item.metadata ??= { title: item.title.trim(), media_type: item.mediaType, ...(caseRef ? { case_ref: caseRef } : {}) };
  item.upload ??= $("upload-original").checked;
  try {
    await depositBlob({
      session,
      suite,
      origin,
      blob: item.file,
      metadata: item.metadata,
      upload: item.upload,
      state: item.state,
      onStage: (stage, done, total) => {
        if (item.stage !== stage) setStage(item, stage);
        if (total !== undefined) progress(item, done, total);
      },
    });
    item.title = item.metadata.title;
    titles.set(item.state.result.id, item.metadata.title);
    setStage(item, "done");
    return true;
  } catch (err) {
    // Metadata the node refused (before anything was signed for it) may
    // be corrected and sent again.
    if (!item.state.prepared) item.metadata = undefined;
    item.error = explain(err);
    setStage(item, "error");
    return false;
  }
}

// The list of the account's deposits.

async function loadList() {
  const status = $("list-status");
  say(status, "info", t("common.loading"));
  try {
    const res = await session.call("/v1/account/deposits");
    listed = (res?.deposits ?? []).sort((a, b) => (b.index ?? 0) - (a.index ?? 0));
    status.hidden = true;
    renderList();
    await loadTitles();
  } catch (err) {
    say(status, "error", explain(err));
  }
}

// Titles are in the metadata openings, one request each: read those of
// the first rows, a few at a time.
async function loadTitles() {
  const missing = listed.slice(0, 50).filter((d) => !titles.has(d.id));
  const worker = async () => {
    for (let d = missing.shift(); d; d = missing.shift()) {
      try {
        const o = await session.call(`/v1/deposits/${d.id}/opening`);
        titles.set(d.id, o.title);
      } catch {
        titles.set(d.id, "");
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  renderList();
}

function renderList() {
  if (listed.length === 0) {
    replace($("list"), el("p", { class: "hint", id: "list-empty", i18n: "deposits.list.none" }));
    return;
  }
  const rows = listed.map((d) =>
    el(
      "tr",
      { dataset: { id: d.id, status: d.status } },
      el("td", { text: d.index !== undefined ? "#" + d.index : "" }),
      el("td", { class: "title-cell", text: titles.get(d.id) ?? "…" }),
      el("td", { text: d.time ? formatTime(d.time) : "" }),
      el("td", {}, el("span", { class: "tag " + (d.status === "committed" ? "ok" : ""), i18n: "deposits.status." + d.status })),
      el("td", {}, el("code", { text: d.id.slice(0, 16) + "…", title: d.id })),
      el(
        "td",
        {},
        el("a", {
          href: "/deposits?id=" + encodeURIComponent(d.id),
          class: "button open-detail",
          text: t("deposits.list.open"),
          "aria-label": t("deposits.list.openOf", { number: d.index ?? d.id.slice(0, 16) }),
          onclick: (e) => {
            e.preventDefault();
            openDetail(d.id);
          },
        }),
      ),
    ),
  );
  replace(
    $("list"),
    el("p", { class: "hint", text: t("deposits.list.count", { count: formatNumber(listed.length) }) }),
    el(
      "div",
      { class: "scroll" },
      el(
        "table",
        { id: "deposit-table" },
        el("thead", {}, el("tr", {}, ...["deposits.col.number", "deposits.col.title", "deposits.col.time", "deposits.col.status", "deposits.col.id", "deposits.col.actions"].map((k) => el("th", { scope: "col", i18n: k })))),
        el("tbody", {}, rows),
      ),
    ),
  );
}

// One deposit: /deposits?id=ID.

function openDetail(id) {
  history.pushState({}, "", "/deposits?id=" + encodeURIComponent(id));
  showDetailFromURL();
}

function closeDetail() {
  history.pushState({}, "", "/deposits");
  showDetailFromURL();
}

async function showDetailFromURL() {
  const id = new URLSearchParams(location.search).get("id");
  const panel = $("detail");
  if (!id) {
    panel.hidden = true;
    replace(panel);
    return;
  }
  panel.hidden = false;
  panel.dataset.id = id;
  const status = el("div", { id: "detail-status", hidden: true });
  replace(panel, el("h2", { id: "detail-h", text: t("deposits.detail.title", { id: id.slice(0, 16) }) }), status, el("p", { i18n: "common.loading" }));
  panel.focus();
  let info;
  let opening = null;
  try {
    info = await session.call(`/v1/deposits/${encodeURIComponent(id)}`);
  } catch (err) {
    // Another account's deposit, or none: the node says which, and why.
    replace(panel, el("h2", { id: "detail-h", text: t("deposits.detail.title", { id: id.slice(0, 16) }) }), status, closeButton());
    say(status, "error", explain(err));
    return;
  }
  if (panel.dataset.id !== id) return;
  let openingError = "";
  try {
    opening = await session.call(`/v1/deposits/${encodeURIComponent(id)}/opening`);
    titles.set(info.id, opening.title);
  } catch (err) {
    openingError = explain(err);
  }
  const title = opening?.title ?? info.id;
  replace(
    panel,
    el("h2", { id: "detail-h", text: t("deposits.detail.titleOf", { number: info.index ?? "?", title }) }),
    status,
    factsOf(info, opening),
    openingError ? el("p", { class: "notice error", role: "alert", text: openingError }) : null,
    downloads(info, opening, title, status),
    grantSection(info.id),
    shareSection(info.id),
    trailSection(),
    closeButton(),
  );
  await Promise.all([loadShares(info.id), loadTrail(info.id)]);
}

function closeButton() {
  return el("p", {}, el("button", { type: "button", id: "detail-close", i18n: "common.close", onclick: closeDetail }));
}

function factsOf(info, opening) {
  const rows = [];
  const add = (key, value) => value !== undefined && value !== null && value !== "" && rows.push(el("dt", { i18n: key }), el("dd", {}, value));
  add("deposits.fact.id", el("code", { text: info.id }));
  add("deposits.fact.number", info.index !== undefined ? "#" + info.index : "");
  add("deposits.fact.status", el("span", { class: "tag " + (info.status === "committed" ? "ok" : ""), dataset: { status: info.status }, i18n: "deposits.status." + info.status }));
  add("deposits.fact.time", info.time ? formatTime(info.time) : "");
  add("deposits.fact.height", info.height);
  for (const [alg, value] of Object.entries(info.entry?.digests ?? {})) add("deposits.fact.digest", el("code", { text: `${alg} ${value}` }));
  add("deposits.fact.size", info.entry ? formatSize(info.entry.size) : "");
  if (opening) {
    add("deposits.fact.mediaType", opening.media_type);
    add("deposits.fact.caseRef", opening.case_ref);
    const c = opening.capture ?? {};
    add("deposits.fact.captured", c.time);
    if (c.latitude !== undefined) add("deposits.fact.location", el("span", { class: "location", text: `${c.latitude}, ${c.longitude}` }));
    add("deposits.fact.device", c.device);
    add("deposits.fact.address", c.address);
    add("deposits.fact.source", c.source_url);
  }
  return el("dl", { class: "facts", id: "detail-facts" }, rows);
}

function downloads(info, opening, title, status) {
  const certificate = async (e) => {
    const button = e.target;
    button.disabled = true;
    say(status, "info", t("deposits.detail.certificateWait"));
    try {
      const { blob } = await apiBlob(`/v1/deposits/${encodeURIComponent(info.id)}/certificate.pdf`, { key: session.key });
      download(evidenceBase(title) + ".certificate.pdf", blob, "application/pdf");
      say(status, "ok", t("deposits.detail.certificateDone", { file: evidenceBase(title) + ".certificate.pdf" }));
    } catch (err) {
      say(status, "error", explain(err));
    } finally {
      button.disabled = false;
    }
  };
  return el(
    "p",
    { class: "row" },
    info.receipt
      ? el("button", { type: "button", id: "detail-receipt", class: "download-receipt", text: t("flow.downloadReceipt"), "aria-label": t("flow.downloadReceiptOf", { file: receiptName(title) }), onclick: () => download(receiptName(title), info.receipt, "text/plain") })
      : el("span", { class: "hint", i18n: "deposits.detail.noReceipt" }),
    opening
      ? el("button", { type: "button", id: "detail-opening", class: "download-opening", text: t("flow.downloadOpening"), "aria-label": t("flow.downloadOpeningOf", { file: openingName(title) }), onclick: () => download(openingName(title), openingFile(opening), "application/json") })
      : null,
    info.status === "committed" ? el("button", { type: "button", id: "detail-certificate", text: t("deposits.detail.certificate"), onclick: certificate }) : null,
  );
}

// Grants to court cases. The node lists no grants of its own: they are
// read from the access trail, where every grant and revocation is.

function grantSection(id) {
  const courts = el("datalist", { id: "courts" });
  session
    .call("/v1/status")
    .then((st) => {
      for (const v of st.validators ?? []) if (v.kind === "court" || v.kind === "arbitration") courts.append(el("option", { value: v.institution }));
    })
    .catch(() => {}); // the list only helps typing; the field works without it
  const status = el("div", { id: "grant-status", hidden: true });
  const form = el(
    "form",
    {
      id: "grant-form",
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        const court = $("grant-court").value.trim();
        const caseNo = $("grant-case").value.trim();
        if (!court || !caseNo) {
          say(status, "error", t("deposits.grant.missing"));
          $(court ? "grant-case" : "grant-court").focus();
          return;
        }
        $("grant-submit").disabled = true;
        try {
          const g = await session.call(`/v1/deposits/${encodeURIComponent(id)}/grants`, { method: "POST", json: { court, case: caseNo } });
          say(status, "ok", t("deposits.grant.done", { court: g.court, case: g.case }));
          e.target.reset();
          await loadTrail(id);
        } catch (err) {
          say(status, "error", explain(err));
        } finally {
          $("grant-submit").disabled = false;
        }
      },
    },
    el("label", { for: "grant-court", i18n: "deposits.grant.court" }),
    el("input", { type: "text", id: "grant-court", list: "courts", autocomplete: "off" }),
    courts,
    el("label", { for: "grant-case", i18n: "deposits.grant.case" }),
    el("input", { type: "text", id: "grant-case", autocomplete: "off", placeholder: t("deposits.grant.casePlaceholder") }),
    el("p", {}, el("button", { type: "submit", class: "primary", id: "grant-submit", i18n: "deposits.grant.submit" })),
  );
  return el(
    "section",
    { "aria-labelledby": "grant-h" },
    el("h3", { id: "grant-h", i18n: "deposits.grant.title" }),
    el("p", { class: "hint", i18n: "deposits.grant.hint" }),
    form,
    status,
    el("ul", { id: "grants", class: "plain" }),
  );
}

function renderGrants(id, entries) {
  const open = new Map();
  for (const e of entries) {
    const r = e.record ?? {};
    const k = r.court + "\n" + r.case;
    if (r.action === "grant") open.set(k, r);
    else if (r.action === "revoke-grant") open.delete(k);
  }
  const list = $("grants");
  if (!list) return;
  if (open.size === 0) {
    replace(list, el("li", { class: "hint", i18n: "deposits.grant.none" }));
    return;
  }
  replace(
    list,
    [...open.values()].map((r) =>
      el(
        "li",
        { class: "grant", dataset: { court: r.court, case: r.case } },
        el("span", { text: t("deposits.grant.item", { court: r.court, case: r.case, time: formatTime(r.at) }) }),
        " ",
        el("button", {
          type: "button",
          class: "revoke-grant",
          text: t("deposits.grant.revoke"),
          "aria-label": t("deposits.grant.revokeOf", { court: r.court, case: r.case }),
          onclick: async (e) => {
            e.target.disabled = true;
            const status = $("grant-status");
            try {
              const q = new URLSearchParams({ court: r.court, case: r.case });
              await session.call(`/v1/deposits/${encodeURIComponent(id)}/grants?${q}`, { method: "DELETE" });
              say(status, "ok", t("deposits.grant.revoked", { court: r.court, case: r.case }));
              await loadTrail(id);
            } catch (err) {
              e.target.disabled = false;
              say(status, "error", explain(err));
            }
          },
        }),
      ),
    ),
  );
}

// Share codes.

function shareSection(id) {
  const status = el("div", { id: "share-status", hidden: true });
  const validity = el(
    "select",
    { id: "share-validity" },
    el("option", { value: "24h", i18n: "deposits.share.day" }),
    el("option", { value: "168h", selected: true, i18n: "deposits.share.week" }),
    el("option", { value: "720h", i18n: "deposits.share.month" }),
  );
  const form = el(
    "form",
    {
      id: "share-form",
      onsubmit: async (e) => {
        e.preventDefault();
        $("share-submit").disabled = true;
        try {
          const s = await session.call(`/v1/deposits/${encodeURIComponent(id)}/shares`, { method: "POST", json: { valid_for: validity.value } });
          replace(
            status,
            el("p", {}, t("deposits.share.created", { time: formatTime(s.expires) })),
            el("p", {}, el("output", { id: "share-code", class: "mono code-big", text: s.code, "aria-label": t("deposits.share.code") })),
            el("p", { class: "hint", text: t("deposits.share.tell", { id: s.deposit }) }),
          );
          status.className = "notice ok";
          status.setAttribute("role", "status");
          status.hidden = false;
          await loadShares(id);
        } catch (err) {
          say(status, "error", explain(err));
        } finally {
          $("share-submit").disabled = false;
        }
      },
    },
    el("label", { for: "share-validity", i18n: "deposits.share.validity" }),
    validity,
    el("p", {}, el("button", { type: "submit", id: "share-submit", i18n: "deposits.share.submit" })),
  );
  return el(
    "section",
    { "aria-labelledby": "share-h" },
    el("h3", { id: "share-h", i18n: "deposits.share.title" }),
    el("p", { class: "hint", i18n: "deposits.share.hint" }),
    form,
    status,
    el("div", { id: "shares", class: "scroll" }),
  );
}

async function loadShares(id) {
  const box = $("shares");
  if (!box) return;
  let shares;
  try {
    shares = (await session.call(`/v1/deposits/${encodeURIComponent(id)}/shares`)).shares ?? [];
  } catch (err) {
    replace(box, el("p", { class: "notice error", role: "alert", text: explain(err) }));
    return;
  }
  if (shares.length === 0) {
    replace(box, el("p", { class: "hint", i18n: "deposits.share.none" }));
    return;
  }
  const rows = shares.map((s) =>
    el(
      "tr",
      { class: "share", dataset: { share: s.id } },
      el("td", {}, el("code", { text: s.id })),
      el("td", { text: formatTime(s.created) }),
      el("td", { text: formatTime(s.expires) }),
      el("td", { text: s.refused ? s.refused : t("deposits.share.works") }),
      el(
        "td",
        {},
        s.refused
          ? null
          : el("button", {
              type: "button",
              class: "revoke-share",
              text: t("deposits.share.revoke"),
              "aria-label": t("deposits.share.revokeOf", { share: s.id }),
              onclick: async (e) => {
                e.target.disabled = true;
                try {
                  await session.call(`/v1/deposits/${encodeURIComponent(id)}/shares/${encodeURIComponent(s.id)}`, { method: "DELETE" });
                  say($("share-status"), "ok", t("deposits.share.revoked", { share: s.id }));
                  await Promise.all([loadShares(id), loadTrail(id)]);
                } catch (err) {
                  e.target.disabled = false;
                  say($("share-status"), "error", explain(err));
                }
              },
            }),
      ),
    ),
  );
  replace(
    box,
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, ...["deposits.share.id", "deposits.share.createdAt", "deposits.share.expires", "deposits.share.state", "deposits.col.actions"].map((k) => el("th", { scope: "col", i18n: k })))),
      el("tbody", {}, rows),
    ),
  );
}

// The access trail.

function trailSection() {
  return el(
    "section",
    { "aria-labelledby": "trail-h" },
    el("h3", { id: "trail-h", i18n: "deposits.trail.title" }),
    el("p", { class: "hint", i18n: "deposits.trail.hint" }),
    el("div", { id: "trail", class: "scroll" }),
  );
}

async function loadTrail(id) {
  const box = $("trail");
  if (!box) return;
  let trail;
  try {
    trail = await session.call(`/v1/deposits/${encodeURIComponent(id)}/trail`);
  } catch (err) {
    replace(box, el("p", { class: "notice error", role: "alert", text: explain(err) }));
    return;
  }
  const entries = trail.entries ?? [];
  renderGrants(id, entries);
  if (entries.length === 0) {
    replace(box, el("p", { class: "hint", i18n: "deposits.trail.none" }));
    return;
  }
  const rows = entries.map((e, i) => {
    const r = e.record ?? {};
    const what = [t("deposits.trail.action." + r.action)];
    if (r.court) what.push(t("deposits.trail.case", { court: r.court, case: r.case }));
    if (r.share) what.push(t("deposits.trail.share", { share: r.share }));
    return el(
      "tr",
      { dataset: { action: r.action } },
      el("td", { text: String(i + 1) }),
      el("td", { text: what.join(" · ") }),
      el("td", {}, el("code", { text: r.actor ?? "" }), r.actor_role ? [" ", el("span", { i18n: "role." + r.actor_role })] : null),
      el("td", { text: r.at ? formatTime(r.at) : "" }),
      el("td", { i18n: "deposits.status." + e.status }),
    );
  });
  replace(
    box,
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, ...["deposits.trail.n", "deposits.trail.what", "deposits.trail.who", "deposits.trail.when", "deposits.col.status"].map((k) => el("th", { scope: "col", i18n: k })))),
      el("tbody", {}, rows),
    ),
  );
}
