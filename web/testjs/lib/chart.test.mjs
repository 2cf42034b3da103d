// src/lib/chart.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";

// src/lib/chart.js
var svgNS = "http://www.w3.org/2000/svg";
function escapeXML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
var r2 = (n) => Math.round(n * 100) / 100;
function valueAxis(max) {
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
    maxLabels: 12,
    ...options
  };
}
function barLayout(bars2, options = {}) {
  const o = defaults(options);
  const total = bars2.reduce((s, b) => s + (Number(b.value) || 0), 0);
  const axis = valueAxis(Math.max(0, ...bars2.map((b) => Number(b.value) || 0)));
  if (o.orientation === "horizontal") {
    const row = 28;
    const m2 = { top: 10, right: 56, bottom: 28, left: 170 };
    const height = m2.top + m2.bottom + Math.max(1, bars2.length) * row;
    const plot2 = { x: m2.left, y: m2.top, width: o.width - m2.left - m2.right, height: height - m2.top - m2.bottom };
    const out2 = bars2.map((b, i) => {
      const value = Number(b.value) || 0;
      const w = value / axis.max * plot2.width;
      return { x: r2(plot2.x), y: r2(plot2.y + i * row + row * 0.15), width: r2(w), height: r2(row * 0.7), label: String(b.label), key: String(b.key ?? b.label), value };
    });
    return { empty: bars2.length === 0 || total === 0, axis, plot: plot2, bars: out2, width: o.width, height, orientation: "horizontal" };
  }
  const m = { top: 14, right: 12, bottom: 34, left: 52 };
  const plot = { x: m.left, y: m.top, width: o.width - m.left - m.right, height: o.height - m.top - m.bottom };
  const band = plot.width / Math.max(1, bars2.length);
  const out = bars2.map((b, i) => {
    const value = Number(b.value) || 0;
    const h = value / axis.max * plot.height;
    return {
      x: r2(plot.x + i * band + band * 0.15),
      y: r2(plot.y + plot.height - h),
      width: r2(Math.max(1, band * 0.7)),
      height: r2(h),
      label: String(b.label),
      key: String(b.key ?? b.label),
      value
    };
  });
  return { empty: bars2.length === 0 || total === 0, axis, plot, bars: out, width: o.width, height: o.height, orientation: "vertical" };
}
function lineLayout(points2, options = {}) {
  const o = defaults(options);
  const m = { top: 14, right: 20, bottom: 34, left: 64 };
  const plot = { x: m.left, y: m.top, width: o.width - m.left - m.right, height: o.height - m.top - m.bottom };
  const axis = valueAxis(Math.max(0, ...points2.map((p) => Number(p.y) || 0)));
  const xs = points2.map((p) => Number(p.x));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const out = points2.map((p) => {
    const y = Number(p.y) || 0;
    const fx = x1 > x0 ? (Number(p.x) - x0) / (x1 - x0) : 0.5;
    return { x: Number(p.x), y, dx: r2(plot.x + fx * plot.width), dy: r2(plot.y + plot.height - y / axis.max * plot.height) };
  });
  return { empty: points2.length === 0, axis, plot, points: out, x0, x1, width: o.width, height: o.height };
}
function open(o, width, height) {
  const title = escapeXML(o.title);
  const id = escapeXML(o.id);
  return `<svg xmlns="${svgNS}" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title"><title id="${id}-title">${title}</title>`;
}
function noData(o, width, height) {
  return open(o, width, height) + `<rect class="frame" x="0.5" y="0.5" width="${width - 1}" height="${height - 1}"/><text class="no-data" x="${width / 2}" y="${height / 2}" text-anchor="middle" dominant-baseline="middle">${escapeXML(o.noData)}</text></svg>`;
}
function shorten(s, n) {
  const chars = Array.from(s);
  return chars.length > n ? chars.slice(0, n - 1).join("") + "\u2026" : s;
}
function barChart(bars2, options = {}) {
  const o = defaults(options);
  const L = barLayout(bars2, o);
  if (L.empty) return noData(o, L.width, L.height);
  const parts = [open(o, L.width, L.height)];
  const { plot, axis } = L;
  if (L.orientation === "horizontal") {
    for (const v of axis.ticks) {
      const x = r2(plot.x + v / axis.max * plot.width);
      parts.push(`<line class="grid" x1="${x}" y1="${plot.y}" x2="${x}" y2="${plot.y + plot.height}"/>`);
      parts.push(`<text class="tick" x="${x}" y="${plot.y + plot.height + 18}" text-anchor="middle">${escapeXML(o.format(v))}</text>`);
    }
    for (const b of L.bars) {
      const mid = r2(b.y + b.height / 2);
      parts.push(`<text class="label" x="${plot.x - 8}" y="${mid}" text-anchor="end" dominant-baseline="middle">${escapeXML(shorten(b.label, 22))}</text>`);
      parts.push(
        `<rect class="bar" x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" data-key="${escapeXML(b.key)}" data-value="${b.value}"><title>${escapeXML(b.label)}: ${escapeXML(o.format(b.value))}</title></rect>`
      );
      parts.push(`<text class="value" x="${r2(b.x + b.width + 6)}" y="${mid}" dominant-baseline="middle">${escapeXML(o.format(b.value))}</text>`);
    }
  } else {
    for (const v of axis.ticks) {
      const y = r2(plot.y + plot.height - v / axis.max * plot.height);
      parts.push(`<line class="grid" x1="${plot.x}" y1="${y}" x2="${plot.x + plot.width}" y2="${y}"/>`);
      parts.push(`<text class="tick" x="${plot.x - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXML(o.format(v))}</text>`);
    }
    const every = Math.max(1, Math.ceil(L.bars.length / o.maxLabels));
    L.bars.forEach((b, i) => {
      parts.push(
        `<rect class="bar" x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" data-key="${escapeXML(b.key)}" data-value="${b.value}"><title>${escapeXML(b.label)}: ${escapeXML(o.format(b.value))}</title></rect>`
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
function lineChart(points2, options = {}) {
  const o = defaults(options);
  const L = lineLayout(points2, o);
  if (L.empty) return noData(o, L.width, L.height);
  const parts = [open(o, L.width, L.height)];
  const { plot, axis } = L;
  for (const v of axis.ticks) {
    const y = r2(plot.y + plot.height - v / axis.max * plot.height);
    parts.push(`<line class="grid" x1="${plot.x}" y1="${y}" x2="${plot.x + plot.width}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${plot.x - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXML(o.format(v))}</text>`);
  }
  const xTicks = L.x1 > L.x0 ? [L.x0, (L.x0 + L.x1) / 2, L.x1] : [L.x0];
  xTicks.forEach((x, i) => {
    const fx = L.x1 > L.x0 ? (x - L.x0) / (L.x1 - L.x0) : 0.5;
    const anchor = xTicks.length === 1 ? "middle" : ["start", "middle", "end"][i];
    parts.push(`<text class="tick" x="${r2(plot.x + fx * plot.width)}" y="${plot.y + plot.height + 18}" text-anchor="${anchor}">${escapeXML(o.formatX(x))}</text>`);
  });
  parts.push(`<line class="axis" x1="${plot.x}" y1="${plot.y + plot.height}" x2="${plot.x + plot.width}" y2="${plot.y + plot.height}"/>`);
  parts.push(`<line class="axis" x1="${plot.x}" y1="${plot.y}" x2="${plot.x}" y2="${plot.y + plot.height}"/>`);
  parts.push(`<polyline class="line" points="${L.points.map((p) => `${p.dx},${p.dy}`).join(" ")}"/>`);
  for (const p of L.points) {
    parts.push(
      `<circle class="point" cx="${p.dx}" cy="${p.dy}" r="3" data-x="${p.x}" data-value="${p.y}"><title>${escapeXML(o.formatX(p.x))}: ${escapeXML(o.format(p.y))}</title></circle>`
    );
  }
  parts.push("</svg>");
  return parts.join("");
}
function utcDay(d) {
  return d.toISOString().slice(0, 10);
}
function daySeries(counts, from, to, maxDays = 400) {
  const start = Date.parse(from + "T00:00:00Z");
  const end = Date.parse(to + "T00:00:00Z");
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return [];
  const out = [];
  const day = 864e5;
  for (let t = Math.max(start, end - (maxDays - 1) * day); t <= end; t += day) {
    const key = utcDay(new Date(t));
    out.push({ day: key, value: Number(counts[key] ?? 0) });
  }
  return out;
}

// src/lib/chart.test.mjs
var attrs = (tag, svg) => [...svg.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, "g"))].map(
  (m) => Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]))
);
var bars = (svg) => attrs("rect", svg).filter((a) => a.class === "bar");
var points = (svg) => attrs("circle", svg).filter((a) => a.class === "point");
test("value axis: a round top at or above the largest figure, whole steps", () => {
  for (const [max, top, ticks] of [
    [0, 1, [0, 1]],
    [1, 1, [0, 1]],
    [3, 3, [0, 1, 2, 3]],
    [7, 8, [0, 2, 4, 6, 8]],
    [12, 15, [0, 5, 10, 15]],
    [1e3, 1e3, [0, 500, 1e3]],
    [123456, 15e4, [0, 5e4, 1e5, 15e4]]
  ]) {
    const a = valueAxis(max);
    assert.equal(a.max, top, `top for ${max}`);
    assert.ok(a.max >= max);
    assert.deepEqual(a.ticks, ticks, `ticks for ${max}`);
  }
});
test("bar lengths are proportional to the figures", () => {
  for (const orientation of ["vertical", "horizontal"]) {
    for (const figures of [[1], [3, 1, 2], [10, 0, 5, 7, 1], [1234, 17, 999]]) {
      const data = figures.map((v, i) => ({ label: `c${i}`, value: v }));
      const svg = barChart(data, { title: "t", orientation });
      const drawn = bars(svg);
      assert.equal(drawn.length, figures.length, `${orientation} ${figures}: one bar per figure`);
      const L = barLayout(data, { orientation });
      const extent = orientation === "vertical" ? L.plot.height : L.plot.width;
      drawn.forEach((b, i) => {
        assert.equal(Number(b["data-value"]), figures[i]);
        const len = Number(orientation === "vertical" ? b.height : b.width);
        assert.ok(Math.abs(len - figures[i] / L.axis.max * extent) < 0.01, `${orientation} bar ${i}: ${len}`);
      });
      const big = Math.max(...figures);
      const iBig = figures.indexOf(big);
      for (const [i, v] of figures.entries()) {
        const len = Number(orientation === "vertical" ? drawn[i].height : drawn[i].width);
        const lenBig = Number(orientation === "vertical" ? drawn[iBig].height : drawn[iBig].width);
        assert.ok(Math.abs(len / lenBig - v / big) < 1e-3, `${orientation} ratio of bar ${i}`);
      }
    }
  }
});
test("bars carry their key, or their label when they have none", () => {
  const svg = barChart([{ label: "\u4E2A\u4EBA", key: "individual", value: 3 }, { label: "image/png", value: 1 }], { orientation: "horizontal" });
  assert.deepEqual(bars(svg).map((b) => b["data-key"]), ["individual", "image/png"]);
});
test("vertical bars stand on the axis", () => {
  const L = barLayout([{ label: "a", value: 4 }, { label: "b", value: 2 }]);
  for (const b of L.bars) assert.ok(Math.abs(b.y + b.height - (L.plot.y + L.plot.height)) < 0.01);
  assert.ok(L.bars[0].x < L.bars[1].x, "bars in the order given");
});
test("line points are proportional to the figures and spread over time", () => {
  const data = [
    { x: 1e3, y: 0 },
    { x: 2e3, y: 5 },
    { x: 4e3, y: 10 },
    { x: 5e3, y: 20 }
  ];
  const svg = lineChart(data, { title: "growth" });
  const drawn = points(svg);
  assert.equal(drawn.length, data.length);
  const L = lineLayout(data);
  const bottom = L.plot.y + L.plot.height;
  drawn.forEach((p, i) => {
    assert.equal(Number(p["data-value"]), data[i].y);
    const up = bottom - Number(p.cy);
    assert.ok(Math.abs(up - data[i].y / L.axis.max * L.plot.height) < 0.01, `point ${i} height ${up}`);
    const across = Number(p.cx) - L.plot.x;
    assert.ok(Math.abs(across - (data[i].x - 1e3) / 4e3 * L.plot.width) < 0.01, `point ${i} x ${across}`);
  });
  assert.match(svg, /<polyline class="line" points="[^"]+"/);
  const one = points(lineChart([{ x: 7, y: 3 }], { title: "one" }));
  assert.equal(one.length, 1);
  assert.ok(Number.isFinite(Number(one[0].cx)) && Number.isFinite(Number(one[0].cy)));
});
test("empty data draws the no-data state", () => {
  for (const svg of [
    barChart([], { title: "none", noData: "\u6682\u65E0\u6570\u636E" }),
    barChart([{ label: "a", value: 0 }, { label: "b", value: 0 }], { title: "zeros", noData: "\u6682\u65E0\u6570\u636E" }),
    barChart([], { title: "none", noData: "\u6682\u65E0\u6570\u636E", orientation: "horizontal" }),
    lineChart([], { title: "none", noData: "\u6682\u65E0\u6570\u636E" })
  ]) {
    assert.equal(bars(svg).length, 0);
    assert.equal(points(svg).length, 0);
    assert.match(svg, /<text class="no-data"[^>]*>暂无数据<\/text>/);
    assert.match(svg, /^<svg [^>]*role="img"/);
  }
  assert.doesNotMatch(barChart([{ label: "a", value: 1 }], {}), /no-data/);
});
test("labels, titles and texts are escaped", () => {
  const evil = `<script>alert("x")</script>&'`;
  const svgs = [
    barChart([{ label: evil, value: 2 }], { title: evil, format: () => evil }),
    barChart([{ label: evil, value: 2 }], { title: evil, orientation: "horizontal" }),
    lineChart([{ x: 1, y: 2 }], { title: evil, formatX: () => evil }),
    barChart([], { title: evil, noData: evil }),
    barChart([{ label: "a", value: 1 }], { id: `x" onload="alert(1)` }),
    barChart([{ label: "a", key: evil, value: 1 }], {})
  ];
  for (const svg of svgs) {
    assert.doesNotMatch(svg, /<script/);
    assert.doesNotMatch(svg, /" onload="/);
    for (const m of svg.matchAll(/<\/?([a-zA-Z]+)/g)) assert.ok(["svg", "title", "rect", "text", "line", "polyline", "circle"].includes(m[1]), m[1]);
    assert.doesNotMatch(svg, /&(?!amp;|lt;|gt;|quot;|#39;)/);
  }
  assert.match(svgs[0], /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;&#39;/);
  assert.equal(escapeXML(`a<b>"c"&'d'`), "a&lt;b&gt;&quot;c&quot;&amp;&#39;d&#39;");
});
test("the chart is named by its title", () => {
  const svg = barChart([{ label: "a", value: 1 }], { title: "Deposits per day", id: "per-day" });
  assert.match(svg, /aria-labelledby="per-day-title"/);
  assert.match(svg, /<title id="per-day-title">Deposits per day<\/title>/);
});
test("day series fill the days without deposits", () => {
  const s = daySeries({ "2026-01-30": 2, "2026-02-02": 5, "2025-12-31": 9 }, "2026-01-30", "2026-02-02");
  assert.deepEqual(s, [
    { day: "2026-01-30", value: 2 },
    { day: "2026-01-31", value: 0 },
    { day: "2026-02-01", value: 0 },
    { day: "2026-02-02", value: 5 }
  ]);
  assert.deepEqual(daySeries({}, "2026-02-02", "2026-01-30"), []);
  assert.deepEqual(daySeries({}, "bad", "2026-01-30"), []);
  const capped = daySeries({}, "2000-01-01", "2026-01-30", 10);
  assert.equal(capped.length, 10);
  assert.equal(capped.at(-1).day, "2026-01-30");
});
