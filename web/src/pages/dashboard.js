// The dashboard: deposits per day, media type, institution and account
// kind, the log's growth, recent blocks and checkpoints, and the
// validators, for auditors and administrators. Everything comes from the
// node's signed API; it refreshes itself every 15 s without moving the
// user's focus, and the figures download as CSV for a spreadsheet.
import { startPage } from "../lib/page.js";
import { formatNumber, formatTime, lang, onLanguageChange, t } from "../lib/i18n.js";
import { download, el, errorText, replace, say } from "../lib/dom.js";
import { requireSession } from "../lib/session.js";
import { apiBlob } from "../lib/api.js";
import { barChart, daySeries, lineChart, utcDay } from "../lib/chart.js";
import texts from "../../i18n/dashboard.json";
import sessionTexts from "../../i18n/session.json";

const refreshEvery = 15000;
const blocksPerPage = 20;
const checkpointsPerPage = 10;
const growthPoints = 120;
const maxDays = 366;

startPage([texts, sessionTexts], main);

async function main() {
  const session = await requireSession(document.getElementById("dash-gate"), ["auditor", "admin"]);
  if (!session) return;
  document.getElementById("dash-gate").replaceChildren();
  const dash = document.getElementById("dash");
  dash.hidden = false;
  new Dashboard(session, dash).start();
}

/** The state of the page: the figures last loaded and where the user is. */
class Dashboard {
  constructor(session, root) {
    this.call = session.call;
    this.key = session.key;
    this.root = root;
    this.from = document.getElementById("range-from");
    this.to = document.getElementById("range-to");
    this.status = document.getElementById("dash-status");
    this.auto = document.getElementById("auto-refresh");
    // before is the height or size a page starts below; null is the latest.
    this.blocks = { before: null, pages: [], data: null, error: null };
    this.checkpoints = { before: null, pages: [], data: null, error: null };
    this.data = {};
    this.errors = {};
    this.timer = null;
    this.busy = false;
    // again is set when the user asked for other figures during a refresh.
    this.again = false;
    this.updated = null;
  }

  start() {
    this.setRange(30);
    document.getElementById("range").addEventListener("submit", (e) => {
      e.preventDefault();
      this.applyRange();
    });
    for (const b of this.root.querySelectorAll("button[data-days]")) {
      b.addEventListener("click", () => {
        this.setRange(Number(b.dataset.days));
        this.applyRange();
      });
    }
    document.getElementById("refresh-now").addEventListener("click", () => this.refresh());
    document.getElementById("csv").addEventListener("click", () => this.csv());
    this.auto.addEventListener("change", () => this.schedule());
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.schedule();
    });
    this.pager("blocks", blocksPerPage);
    this.pager("checkpoints", checkpointsPerPage);
    onLanguageChange(() => {
      // A message shown before the switch is in the other language.
      this.status.hidden = true;
      this.render();
    });
    // Redraw the charts at their new size when the window changes width.
    let shownWidth = 0;
    let frame = 0;
    new ResizeObserver((entries) => {
      const w = Math.round(entries[0].contentRect.width);
      if (w === shownWidth) return;
      shownWidth = w;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.updated && this.renderCharts());
    }).observe(this.root.querySelector(".chart-grid"));
    this.refresh();
  }

  /** Sets the date inputs to the last n days, today (UTC) included. */
  setRange(days) {
    const now = new Date();
    this.to.value = utcDay(now);
    this.from.value = utcDay(new Date(now.getTime() - (days - 1) * 86400000));
  }

  applyRange() {
    if (!this.from.value || !this.to.value || this.from.value > this.to.value) {
      say(this.status, "error", t("dash.range.bad"));
      this.from.focus();
      return;
    }
    this.status.hidden = true;
    this.refresh();
  }

  /** Wires the Latest / Newer / Older buttons of a paged table. */
  pager(name, size) {
    const state = this[name];
    const go = async (before, pages) => {
      state.before = before;
      state.pages = pages;
      await this.loadPaged(name, size);
      this.renderPaged(name);
    };
    document.getElementById(name + "-latest").addEventListener("click", () => go(null, []));
    document.getElementById(name + "-newer").addEventListener("click", () => {
      const pages = state.pages.slice(0, -1);
      go(state.pages.at(-1) ?? null, pages);
    });
    document.getElementById(name + "-older").addEventListener("click", () => {
      const next = nextBefore(name, state.data);
      if (next !== null) go(next, [...state.pages, state.before]);
    });
  }

  /** Waits refreshEvery, then refreshes, while auto-refresh is on and the page is seen. */
  schedule() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.auto.checked || document.hidden) return;
    this.timer = setTimeout(() => this.refresh(), refreshEvery);
  }

  /** Loads everything again and redraws what changed. */
  async refresh() {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.again = false;
    clearTimeout(this.timer);
    const updated = document.getElementById("updated");
    updated.textContent = t("dash.refreshing");
    try {
      const range = `from=${encodeURIComponent(this.from.value)}&to=${encodeURIComponent(this.to.value)}`;
      const jobs = {
        stats: () => this.call(`/v1/stats?${range}`),
        growth: () => this.call(`/v1/explorer/growth?points=${growthPoints}`),
        validators: () => this.call("/v1/validators"),
        status: () => this.call("/v1/status"),
      };
      await Promise.all([
        ...Object.entries(jobs).map(async ([name, job]) => {
          try {
            this.data[name] = await job();
            delete this.errors[name];
          } catch (err) {
            this.errors[name] = err;
          }
        }),
        this.loadPaged("blocks", blocksPerPage),
        this.loadPaged("checkpoints", checkpointsPerPage),
      ]);
      this.updated = new Date();
      this.render();
    } finally {
      this.busy = false;
      if (this.again) this.refresh();
      else this.schedule();
    }
  }

  async loadPaged(name, size) {
    const state = this[name];
    const before = state.before === null ? "" : `&before=${state.before}`;
    try {
      state.data = await this.call(`/v1/explorer/${name}?limit=${size}${before}`);
      state.error = null;
    } catch (err) {
      state.error = err;
    }
  }

  render() {
    const updated = document.getElementById("updated");
    updated.textContent = this.updated ? t("dash.updated", { time: formatTime(this.updated) }) : "";
    this.renderTotals();
    this.renderCharts();
    this.renderPaged("blocks");
    this.renderPaged("checkpoints");
    this.renderValidators();
  }

  renderTotals() {
    const s = this.data.stats;
    const st = this.data.status;
    const fact = (key, value) => el("div", { dataset: { fact: key } }, el("dt", { i18n: key }), el("dd", { text: value === undefined ? "–" : formatNumber(value) }));
    replace(
      document.getElementById("totals"),
      fact("dash.totals.inRange", s ? statsTotal(s) : undefined),
      fact("dash.totals.all", st?.tree_size),
      fact("dash.totals.height", st?.height),
    );
  }

  renderCharts() {
    const s = this.data.stats;
    // The node says which days it counted.
    const range = s ? { from: s.from, to: s.to } : null;
    const error = this.errors.stats;
    const count = (n) => formatNumber(n);
    const dayLabel = new Intl.DateTimeFormat(lang() === "zh" ? "zh-CN" : "en-GB", { month: "short", day: "numeric", timeZone: "UTC" });
    const dayLong = new Intl.DateTimeFormat(lang() === "zh" ? "zh-CN" : "en-GB", { dateStyle: "medium", timeZone: "UTC" });
    // Charts are drawn at the size they are shown, so that their text is
    // as large as the page's on a phone and on a wide screen alike.
    const width = (id) => Math.max(280, Math.floor(document.querySelector(`#${id} .chart-box`).clientWidth || 640));
    const days = s && range ? daySeries(perDay(s), range.from, range.to, maxDays) : [];
    drawChart("chart-per-day", {
      error,
      title: t("dash.chart.perDay"),
      columns: ["dash.col.day", "dash.col.count"],
      rows: days.map((d) => [dayLong.format(new Date(d.day + "T00:00:00Z")), count(d.value)]),
      svg: barChart(
        days.map((d) => ({ label: dayLabel.format(new Date(d.day + "T00:00:00Z")), value: d.value, key: d.day })),
        { title: t("dash.chart.perDay"), noData: t("dash.chart.noData"), format: count, id: "svg-per-day", width: width("chart-per-day"), height: 280 },
      ),
      total: days.reduce((a, d) => a + d.value, 0),
      note: range && daysBetween(range.from, range.to) > maxDays ? t("dash.range.tooLong", { days: maxDays }) : "",
    });
    const category = (id, titleKey, column, items, note = "") => {
      drawChart(id, {
        error,
        title: t(titleKey),
        columns: [column, "dash.col.count"],
        rows: items.map((i) => [i.label, count(i.value)]),
        svg: barChart(items, { title: t(titleKey), noData: t("dash.chart.noData"), format: count, orientation: "horizontal", id: "svg-" + id, width: width(id) }),
        total: items.reduce((a, i) => a + i.value, 0),
        note,
      });
    };
    const media = s ? mediaTypes(s) : { items: [], unknown: 0 };
    // Another member's staff see no media types (the node's answer says so in its scope).
    const hidden = s?.media_types_scope === "shown only to this institution's staff";
    const mediaNote = !s
      ? ""
      : hidden
        ? t("dash.mediaHidden")
        : [t("dash.mediaScope"), media.unknown > 0 ? t("dash.mediaUnknown", { unknown: count(media.unknown) }) : ""].join(" ").trim();
    category("chart-media", "dash.chart.mediaTypes", "dash.col.mediaType", media.items, mediaNote);
    category("chart-institutions", "dash.chart.institutions", "dash.col.institution", s ? institutions(s) : []);
    category("chart-kinds", "dash.chart.kinds", "dash.col.kind", s ? accountKinds(s) : []);
    const points = this.data.growth ? growth(this.data.growth) : [];
    const span = points.length > 1 ? points.at(-1).x - points[0].x : 0;
    const when = new Intl.DateTimeFormat(lang() === "zh" ? "zh-CN" : "en-GB", span < 2 * 86400000 ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" } : { dateStyle: "medium" });
    drawChart("chart-growth", {
      error: this.errors.growth,
      title: t("dash.chart.growth"),
      columns: ["dash.col.time", "dash.col.treeSize"],
      rows: points.map((p) => [formatTime(p.x), count(p.y)]),
      svg: lineChart(points, {
        title: t("dash.chart.growth"),
        noData: t("dash.chart.noGrowth"),
        format: count,
        formatX: (x) => when.format(new Date(x)),
        id: "svg-growth",
        width: width("chart-growth"),
        height: 240,
      }),
      total: points.at(-1)?.y ?? 0,
    });
  }

  renderPaged(name) {
    const state = this[name];
    const section = document.getElementById(name);
    const tbody = section.querySelector("tbody");
    const rows = state.data ? (name === "blocks" ? blockRows(state.data) : checkpointRows(state.data)) : [];
    showError(section, state.error);
    // The rows hold nothing that takes the focus, so redrawing them
    // cannot take it from the user.
    if (rows.length === 0) {
      const cols = section.querySelectorAll("thead th").length;
      replace(tbody, el("tr", {}, el("td", { colspan: cols, class: "hint", i18n: `dash.${name}.none` })));
    } else replace(tbody, rows);
    const first = document.getElementById(name + "-latest");
    const newer = document.getElementById(name + "-newer");
    const older = document.getElementById(name + "-older");
    const atLatest = state.before === null;
    const focused = document.activeElement;
    first.disabled = atLatest;
    newer.disabled = atLatest;
    older.disabled = nextBefore(name, state.data) === null;
    // A button that becomes disabled loses the focus to the page; keep it
    // in the pager.
    if ([first, newer, older].includes(focused) && focused.disabled) {
      [older, newer, first].find((b) => !b.disabled)?.focus({ preventScroll: true });
    }
    const keys = pagedKeys(name, state.data);
    document.getElementById(name + "-range").textContent =
      keys.length > 0 ? t("dash.page.range", { first: formatNumber(keys[0]), last: formatNumber(keys.at(-1)) }) : "";
  }

  renderValidators() {
    const section = document.getElementById("validators");
    const tbody = section.querySelector("tbody");
    const list = this.data.validators ? validators(this.data.validators) : [];
    showError(section, this.errors.validators);
    if (list.length === 0) {
      replace(tbody, el("tr", {}, el("td", { colspan: 6, class: "hint", i18n: "dash.validators.none" })));
      return;
    }
    replace(
      tbody,
      list.map((v) => {
        const tag = { healthy: "ok", unhealthy: "bad", unreachable: "bad" }[v.health] ?? "";
        const known = ["healthy", "unhealthy", "unreachable", "unknown"].includes(v.health);
        return el(
          "tr",
          { dataset: { institution: v.name } },
          el("th", { scope: "row", text: v.name }),
          el(
            "td",
            {},
            el("span", { class: "tag health " + tag, dataset: { health: v.health }, text: known ? t("dash.validators." + v.health) : v.health }),
            v.checkedAt ? el("div", { class: "hint", text: t("dash.validators.checked", { time: formatTime(v.checkedAt) }) }) : null,
            v.message ? el("div", { class: "hint", text: v.message }) : null,
          ),
          el("td", { class: "num", text: formatNumber(v.power) }),
          el(
            "td",
            { dataset: { signed: String(v.signedLast) } },
            v.signedLast === null
              ? "–"
              : [el("span", { i18n: v.signedLast ? "dash.validators.yes" : "dash.validators.no" }), v.lastBlock ? " " + t("dash.validators.block", { height: formatNumber(v.lastBlock) }) : ""],
          ),
          el(
            "td",
            { class: "num" },
            v.cosigned ? formatNumber(v.cosigned) : "–",
            v.cosignedAt ? el("div", { class: "hint", text: formatTime(v.cosignedAt) }) : null,
          ),
          el("td", {}, v.api ? el("span", { class: "mono", text: v.api }) : "–"),
        );
      }),
    );
  }

  /** Downloads the figures of the dates shown as CSV, UTF-8 with a byte order mark. */
  async csv() {
    const button = document.getElementById("csv");
    button.disabled = true;
    try {
      const from = this.from.value;
      const to = this.to.value;
      const { blob, filename } = await apiBlob(`/v1/stats?format=csv&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, {
        key: this.key,
        headers: { Accept: "text/csv" },
      });
      const name = filename || `jurichain-stats-${from}-${to}.csv`;
      download(name, await withBOM(blob), "text/csv;charset=utf-8");
      say(this.status, "ok", t("dash.csvDone", { file: name }));
    } catch (err) {
      say(this.status, "error", errorText(err));
    } finally {
      button.disabled = false;
      button.focus({ preventScroll: true });
    }
  }
}

/**
 * Draws a chart and its table into the section id: the SVG is parsed as
 * XML (chart.js escapes every label), the table says the same figures to
 * screen readers and to people who want the numbers.
 */
function drawChart(id, { error, title, columns, rows, svg, total, note }) {
  const section = document.getElementById(id);
  showError(section, error);
  const box = section.querySelector(".chart-box");
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  const root = doc.documentElement;
  if (root.nodeName !== "svg") throw new Error(`chart ${id} could not be drawn`);
  root.setAttribute("aria-label", t("dash.chart.summary", { title, total: formatNumber(total) }));
  root.removeAttribute("aria-labelledby");
  replace(box, document.importNode(root, true));
  const noteBox = section.querySelector(".chart-note");
  noteBox.textContent = note ?? "";
  noteBox.hidden = !note;
  replace(
    section.querySelector(".chart-table"),
    el(
      "table",
      {},
      el("caption", { class: "visually-hidden", text: title }),
      el("thead", {}, el("tr", {}, columns.map((c, i) => el("th", { scope: "col", class: i > 0 ? "num" : undefined, i18n: c })))),
      el(
        "tbody",
        {},
        rows.map((r) => el("tr", {}, el("th", { scope: "row", text: r[0] }), r.slice(1).map((c) => el("td", { class: "num", text: c })))),
      ),
    ),
  );
}

/** Shows an error (or nothing) at the top of a section, with what to do next. */
function showError(section, error) {
  let box = section.querySelector(":scope > .section-error");
  if (!error) {
    if (box) box.remove();
    return;
  }
  if (!box) {
    box = el("p", { class: "section-error notice error", role: "alert" });
    section.querySelector("h2, h3").after(box);
  }
  const text = `${errorText(error)} ${t("dash.error.retry")}`;
  if (box.textContent !== text) box.textContent = text;
}

async function withBOM(blob) {
  const head = new Uint8Array(await blob.slice(0, 3).arrayBuffer());
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return new Blob([blob], { type: "text/csv;charset=utf-8" });
  return new Blob([new Uint8Array([0xef, 0xbb, 0xbf]), blob], { type: "text/csv;charset=utf-8" });
}

function daysBetween(from, to) {
  return Math.round((Date.parse(to + "T00:00:00Z") - Date.parse(from + "T00:00:00Z")) / 86400000) + 1;
}

/** Hex of base64 bytes (JSON []byte). */
function hexOf(b64) {
  if (!b64) return "";
  const bin = atob(b64);
  let s = "";
  for (let i = 0; i < bin.length; i++) s += bin.charCodeAt(i).toString(16).padStart(2, "0");
  return s;
}

/** A hash shown short, in full in its tooltip and to screen readers. */
function hashCell(hexText) {
  if (!hexText) return el("td", { text: "–" });
  const short = hexText.length > 16 ? hexText.slice(0, 16) + "…" : hexText;
  return el("td", { class: "mono hash", title: hexText }, el("span", { "aria-hidden": "true", text: short }), el("span", { class: "visually-hidden", text: hexText }));
}

// What follows reads the node's answers (api/dashboard.go) into what the
// page draws.

function statsTotal(s) {
  return s.total;
}

function perDay(s) {
  return Object.fromEntries((s.per_day ?? []).map((d) => [d.date, d.count]));
}

function mediaTypes(s) {
  return {
    items: (s.media_types ?? []).map((m) => ({ label: m.key, key: m.key, value: m.count })),
    unknown: s.media_types_unknown ?? 0,
  };
}

function institutions(s) {
  return (s.institutions ?? []).map((m) => ({ label: m.key, key: m.key, value: m.count }));
}

/** An account kind's name: the common texts know the kinds of accounts; "node" is the nodes' own records. */
function kindName(k) {
  if (k === "node") return t("dash.kind.node");
  const name = t("kind." + k);
  return name === "kind." + k ? k : name;
}

function accountKinds(s) {
  return (s.account_kinds ?? []).map((m) => ({ label: kindName(m.key), key: m.key, value: m.count }));
}

function growth(g) {
  return (g.points ?? []).map((p) => ({ x: Date.parse(p.time), y: p.tree_size }));
}

function blockRows(data) {
  return (data.blocks ?? []).map((b) =>
    el(
      "tr",
      { dataset: { height: b.height, deposits: b.deposits, treeSize: b.tree_size } },
      el("th", { scope: "row", class: "num", text: formatNumber(b.height) }),
      el("td", { text: formatTime(b.time) }),
      el("td", { class: "num", text: formatNumber(b.txs) }),
      el("td", { class: "num", text: formatNumber(b.deposits) }),
      el("td", { class: "num", text: formatNumber(b.tree_size) }),
      hashCell((b.app_hash ?? "").toLowerCase()),
    ),
  );
}

function checkpointRows(data) {
  return (data.checkpoints ?? []).map((c) =>
    el(
      "tr",
      { dataset: { size: c.size } },
      el("th", { scope: "row", class: "num", text: formatNumber(c.size) }),
      hashCell(hexOf(c.root_hash)),
      el("td", { text: c.time ? formatTime(c.time) : "–" }),
      el(
        "td",
        {},
        el(
          "ul",
          { class: "cosigners" },
          (c.cosignatures ?? []).map((s) =>
            el("li", { class: "cosigner", dataset: { institution: s.institution } }, el("span", { text: s.institution }), " ", el("span", { class: "hint", text: formatTime(s.time) })),
          ),
        ),
      ),
      el(
        "td",
        { class: "token" },
        c.timestamp
          ? [
              el("span", { text: t("dash.checkpoints.tokenAt", { time: formatTime(c.timestamp.gen_time), serial: c.timestamp.tsa_serial }) }),
              c.timestamp.tsa ? el("div", { class: "hint", text: c.timestamp.tsa }) : null,
            ]
          : el("span", { class: "hint", i18n: "dash.checkpoints.noToken" }),
      ),
    ),
  );
}

function pagedKeys(name, data) {
  if (!data) return [];
  return name === "blocks" ? (data.blocks ?? []).map((b) => b.height) : (data.checkpoints ?? []).map((c) => c.size);
}

/** The before= of the next older page, or null when this page is the oldest. */
function nextBefore(name, data) {
  return data?.more && data.next != null ? data.next : null;
}

function validators(v) {
  return (v.validators ?? []).map((m) => ({
    name: m.institution,
    power: m.power,
    health: m.health?.status || "unknown",
    checkedAt: m.health?.checked_at,
    message: m.health?.message,
    signedLast: m.signed_last_block ?? null,
    lastBlock: v.last_block,
    cosigned: m.cosigned_size,
    cosignedAt: m.cosigned_at,
    api: m.api,
  }));
}
