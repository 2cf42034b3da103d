// Charts as inline SVG markup, drawn by the portal itself: no chart
// library and nothing fetched from elsewhere. The layout functions return
// plain numbers (so node:test can check that a bar is as tall as its
// figure says), and the drawing functions turn them into SVG text with
// every label escaped. This module touches no DOM and imports nothing, so
// it runs the same in the browser and under node.
//
// Pages insert the markup with DOMParser("image/svg+xml"): a strict XML
// parse, so a label that escaped the escaping would fail loudly rather
// than become markup.

const svgNS = "http://www.w3.org/2000/svg";

/** Escapes text for SVG/XML character data and attribute values. */
export function escapeXML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// Rounded coordinates keep the markup short; a hundredth of a pixel is
// below what any screen shows.
const r2 = (n) => Math.round(n * 100) / 100;

/**
 * The value axis for figures up to max: a round top and 3 to 6 evenly
 * spaced ticks from 0. Counts are whole, so steps are at least 1.
 */
export function valueAxis(max) {
  if (!(max > 0)) return { max: 1, ticks: [0, 1] };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  step = Math.max(1, step);
  const top = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  return { max: top, ticks };
}

function defaults(options) {
  return {
    width: 640,
    height: 260,
    orientation: "vertical",
    format: (n) => String(n),
    formatX: (x) => String(x),
    noData: "No data",
    title: "",
    id: "chart",
    maxLabels: 0,
    ...options,
  };
}

/**
 * Lays out a bar chart. bars are {label, value}; options.orientation is
 * "vertical" (columns, for days) or "horizontal" (rows, for categories with
 * long names); key, when given, names the bar to scripts and tests (data-key)
 * where the label is translated or shortened. Each bar's length is value / axis.max of the plot's extent,
 * so lengths are proportional to the figures. Returns {empty, axis, plot,
 * bars: [{x, y, width, height, label, key, value}], width, height}.
 */
export function barLayout(bars, options = {}) {
  const o = defaults(options);
  const total = bars.reduce((s, b) => s + (Number(b.value) || 0), 0);
  const axis = valueAxis(Math.max(0, ...bars.map((b) => Number(b.value) || 0)));
  if (o.orientation === "horizontal") {
    const row = 28;
    // Category names take up to two fifths of a narrow chart.
    const m = { top: 10, right: 56, bottom: 28, left: Math.min(170, Math.round(o.width * 0.4)) };
    const height = m.top + m.bottom + Math.max(1, bars.length) * row;
    const plot = { x: m.left, y: m.top, width: o.width - m.left - m.right, height: height - m.top - m.bottom };
    const out = bars.map((b, i) => {
      const value = Number(b.value) || 0;
      const w = (value / axis.max) * plot.width;
      return { x: r2(plot.x), y: r2(plot.y + i * row + row * 0.15), width: r2(w), height: r2(row * 0.7), label: String(b.label), key: String(b.key ?? b.label), value };
    });
    return { empty: bars.length === 0 || total === 0, axis, plot, bars: out, width: o.width, height, orientation: "horizontal" };
  }
  const m = { top: 14, right: 12, bottom: 34, left: 52 };
  const plot = { x: m.left, y: m.top, width: o.width - m.left - m.right, height: o.height - m.top - m.bottom };
  const band = plot.width / Math.max(1, bars.length);
  const out = bars.map((b, i) => {
    const value = Number(b.value) || 0;
    const h = (value / axis.max) * plot.height;
    return {
      x: r2(plot.x + i * band + band * 0.15),
      y: r2(plot.y + plot.height - h),
      width: r2(Math.max(1, band * 0.7)),
      height: r2(h),
      label: String(b.label),
      key: String(b.key ?? b.label),
      value,
    };
  });
  return { empty: bars.length === 0 || total === 0, axis, plot, bars: out, width: o.width, height: o.height, orientation: "vertical" };
}

/**
 * Lays out a line chart of points {x, y} (x a number, such as a time in
 * milliseconds; y a figure from 0 up). x maps linearly across the plot
 * between the smallest and largest x, y from 0 at the bottom to axis.max
 * at the top. Returns {empty, axis, plot, points: [{x, y, dx, dy}], …},
 * where x/y are the figures and dx/dy the drawn coordinates.
 */
export function lineLayout(points, options = {}) {
  const o = defaults(options);
  const m = { top: 14, right: 20, bottom: 34, left: 64 };
  const plot = { x: m.left, y: m.top, width: o.width - m.left - m.right, height: o.height - m.top - m.bottom };
  const axis = valueAxis(Math.max(0, ...points.map((p) => Number(p.y) || 0)));
  const xs = points.map((p) => Number(p.x));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const out = points.map((p) => {
    const y = Number(p.y) || 0;
    const fx = x1 > x0 ? (Number(p.x) - x0) / (x1 - x0) : 0.5;
    return { x: Number(p.x), y, dx: r2(plot.x + fx * plot.width), dy: r2(plot.y + plot.height - (y / axis.max) * plot.height) };
  });
  return { empty: points.length === 0, axis, plot, points: out, x0, x1, width: o.width, height: o.height };
}

function open(o, width, height) {
  const title = escapeXML(o.title);
  const id = escapeXML(o.id);
  return (
    `<svg xmlns="${svgNS}" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
    `role="img" aria-labelledby="${id}-title"><title id="${id}-title">${title}</title>`
  );
}

function noData(o, width, height) {
  return (
    open(o, width, height) +
    `<rect class="frame" x="0.5" y="0.5" width="${width - 1}" height="${height - 1}"/>` +
    `<text class="no-data" x="${width / 2}" y="${height / 2}" text-anchor="middle" dominant-baseline="middle">${escapeXML(o.noData)}</text></svg>`
  );
}

// Long category names are shortened on the chart; the full name is in
// the bar's tooltip and in the figures' table.
function shorten(s, n) {
  const chars = Array.from(s);
  return chars.length > n ? chars.slice(0, n - 1).join("") + "…" : s;
}

/**
 * Draws a bar chart (see barLayout) as SVG markup. options: title (the
 * chart's accessible name), noData (the text when there is nothing to
 * show), format (a figure as text), orientation, width, height, id, and
 * maxLabels (the most category labels under vertical bars, others
 * skipped evenly; by default as many as fit the width). Bars are <rect class="bar" data-key data-value>.
 */
export function barChart(bars, options = {}) {
  const o = defaults(options);
  const L = barLayout(bars, o);
  if (L.empty) return noData(o, L.width, L.height);
  const parts = [open(o, L.width, L.height)];
  const { plot, axis } = L;
  if (L.orientation === "horizontal") {
    for (const v of axis.ticks) {
      const x = r2(plot.x + (v / axis.max) * plot.width);
      parts.push(`<line class="grid" x1="${x}" y1="${plot.y}" x2="${x}" y2="${plot.y + plot.height}"/>`);
      parts.push(`<text class="tick" x="${x}" y="${plot.y + plot.height + 18}" text-anchor="middle">${escapeXML(o.format(v))}</text>`);
    }
    for (const b of L.bars) {
      const mid = r2(b.y + b.height / 2);
      parts.push(`<text class="label" x="${plot.x - 8}" y="${mid}" text-anchor="end" dominant-baseline="middle">${escapeXML(shorten(b.label, Math.max(4, Math.floor((plot.x - 12) / 7))))}</text>`);
      parts.push(
        `<rect class="bar" x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" data-key="${escapeXML(b.key)}" data-value="${b.value}">` +
          `<title>${escapeXML(b.label)}: ${escapeXML(o.format(b.value))}</title></rect>`,
      );
      parts.push(`<text class="value" x="${r2(b.x + b.width + 6)}" y="${mid}" dominant-baseline="middle">${escapeXML(o.format(b.value))}</text>`);
    }
  } else {
    for (const v of axis.ticks) {
      const y = r2(plot.y + plot.height - (v / axis.max) * plot.height);
      parts.push(`<line class="grid" x1="${plot.x}" y1="${y}" x2="${plot.x + plot.width}" y2="${y}"/>`);
      parts.push(`<text class="tick" x="${plot.x - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXML(o.format(v))}</text>`);
    }
    // A day label is about 60 pixels wide.
    const maxLabels = o.maxLabels || Math.max(2, Math.floor(plot.width / 64));
    const every = Math.max(1, Math.ceil(L.bars.length / maxLabels));
    L.bars.forEach((b, i) => {
      parts.push(
        `<rect class="bar" x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" data-key="${escapeXML(b.key)}" data-value="${b.value}">` +
          `<title>${escapeXML(b.label)}: ${escapeXML(o.format(b.value))}</title></rect>`,
      );
      if (i % every === 0) {
        parts.push(`<text class="label" x="${r2(b.x + b.width / 2)}" y="${plot.y + plot.height + 18}" text-anchor="middle">${escapeXML(b.label)}</text>`);
      }
    });
  }
  parts.push(`<line class="axis" x1="${plot.x}" y1="${plot.y + plot.height}" x2="${plot.x + plot.width}" y2="${plot.y + plot.height}"/>`);
  parts.push(`<line class="axis" x1="${plot.x}" y1="${plot.y}" x2="${plot.x}" y2="${plot.y + plot.height}"/>`);
  parts.push("</svg>");
  return parts.join("");
}

/**
 * Draws a line chart (see lineLayout) as SVG markup: a polyline through
 * <circle class="point" data-x data-value> markers. options as barChart,
 * plus formatX (an x value as text, for the first, middle and last ticks).
 */
export function lineChart(points, options = {}) {
  const o = defaults(options);
  const L = lineLayout(points, o);
  if (L.empty) return noData(o, L.width, L.height);
  const parts = [open(o, L.width, L.height)];
  const { plot, axis } = L;
  for (const v of axis.ticks) {
    const y = r2(plot.y + plot.height - (v / axis.max) * plot.height);
    parts.push(`<line class="grid" x1="${plot.x}" y1="${y}" x2="${plot.x + plot.width}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${plot.x - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXML(o.format(v))}</text>`);
  }
  // The first and last times, and the middle one where there is room.
  const xTicks = L.x1 === L.x0 ? [L.x0] : plot.width >= 360 ? [L.x0, (L.x0 + L.x1) / 2, L.x1] : [L.x0, L.x1];
  xTicks.forEach((x, i) => {
    const fx = L.x1 > L.x0 ? (x - L.x0) / (L.x1 - L.x0) : 0.5;
    const anchor = xTicks.length === 1 ? "middle" : i === 0 ? "start" : i === xTicks.length - 1 ? "end" : "middle";
    parts.push(`<text class="tick" x="${r2(plot.x + fx * plot.width)}" y="${plot.y + plot.height + 18}" text-anchor="${anchor}">${escapeXML(o.formatX(x))}</text>`);
  });
  parts.push(`<line class="axis" x1="${plot.x}" y1="${plot.y + plot.height}" x2="${plot.x + plot.width}" y2="${plot.y + plot.height}"/>`);
  parts.push(`<line class="axis" x1="${plot.x}" y1="${plot.y}" x2="${plot.x}" y2="${plot.y + plot.height}"/>`);
  parts.push(`<polyline class="line" points="${L.points.map((p) => `${p.dx},${p.dy}`).join(" ")}"/>`);
  for (const p of L.points) {
    parts.push(
      `<circle class="point" cx="${p.dx}" cy="${p.dy}" r="3" data-x="${p.x}" data-value="${p.y}">` +
        `<title>${escapeXML(o.formatX(p.x))}: ${escapeXML(o.format(p.y))}</title></circle>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}

/** The UTC day (YYYY-MM-DD) of a Date. */
export function utcDay(d) {
  return d.toISOString().slice(0, 10);
}

/**
 * The days from..to (YYYY-MM-DD, UTC, both included) with the count of
 * each from counts (a map day → count; days it lacks count 0), for a chart
 * where a day without deposits shows as an empty column. At most maxDays
 * days, the latest kept.
 */
export function daySeries(counts, from, to, maxDays = 400) {
  const start = Date.parse(from + "T00:00:00Z");
  const end = Date.parse(to + "T00:00:00Z");
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return [];
  const out = [];
  const day = 86400000;
  for (let t = Math.max(start, end - (maxDays - 1) * day); t <= end; t += day) {
    const key = utcDay(new Date(t));
    out.push({ day: key, value: Number(counts[key] ?? 0) });
  }
  return out;
}
