// Tests of chart.js: run with `node --test src/lib/chart.test.mjs` (web/chart_test.go does).
import { test } from "node:test";
import assert from "node:assert/strict";
import { barChart, barLayout, daySeries, escapeXML, lineChart, lineLayout, valueAxis } from "./chart.js";

const attrs = (tag, svg) =>
  [...svg.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, "g"))].map((m) =>
    Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
  );
const bars = (svg) => attrs("rect", svg).filter((a) => a.class === "bar");
const points = (svg) => attrs("circle", svg).filter((a) => a.class === "point");

test("value axis: a round top at or above the largest figure, whole steps", () => {
  for (const [max, top, ticks] of [
    [0, 1, [0, 1]],
    [1, 1, [0, 1]],
    [3, 3, [0, 1, 2, 3]],
    [7, 8, [0, 2, 4, 6, 8]],
    [12, 15, [0, 5, 10, 15]],
    [1000, 1000, [0, 500, 1000]],
    [123456, 150000, [0, 50000, 100000, 150000]],
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
        assert.ok(Math.abs(len - (figures[i] / L.axis.max) * extent) < 0.01, `${orientation} bar ${i}: ${len}`);
      });
      // Twice the figure, twice the bar.
      const big = Math.max(...figures);
      const iBig = figures.indexOf(big);
      for (const [i, v] of figures.entries()) {
        const len = Number(orientation === "vertical" ? drawn[i].height : drawn[i].width);
        const lenBig = Number(orientation === "vertical" ? drawn[iBig].height : drawn[iBig].width);
        assert.ok(Math.abs(len / lenBig - v / big) < 0.001, `${orientation} ratio of bar ${i}`);
      }
    }
  }
});

test("bars carry their key, or their label when they have none", () => {
  const svg = barChart([{ label: "个人", key: "individual", value: 3 }, { label: "image/png", value: 1 }], { orientation: "horizontal" });
  assert.deepEqual(bars(svg).map((b) => b["data-key"]), ["individual", "image/png"]);
});

test("vertical bars stand on the axis", () => {
  const L = barLayout([{ label: "a", value: 4 }, { label: "b", value: 2 }]);
  for (const b of L.bars) assert.ok(Math.abs(b.y + b.height - (L.plot.y + L.plot.height)) < 0.01);
  assert.ok(L.bars[0].x < L.bars[1].x, "bars in the order given");
});

test("line points are proportional to the figures and spread over time", () => {
  const data = [
    { x: 1000, y: 0 },
    { x: 2000, y: 5 },
    { x: 4000, y: 10 },
    { x: 5000, y: 20 },
  ];
  const svg = lineChart(data, { title: "growth" });
  const drawn = points(svg);
  assert.equal(drawn.length, data.length);
  const L = lineLayout(data);
  const bottom = L.plot.y + L.plot.height;
  drawn.forEach((p, i) => {
    assert.equal(Number(p["data-value"]), data[i].y);
    const up = bottom - Number(p.cy);
    assert.ok(Math.abs(up - (data[i].y / L.axis.max) * L.plot.height) < 0.01, `point ${i} height ${up}`);
    const across = Number(p.cx) - L.plot.x;
    assert.ok(Math.abs(across - ((data[i].x - 1000) / 4000) * L.plot.width) < 0.01, `point ${i} x ${across}`);
  });
  assert.match(svg, /<polyline class="line" points="[^"]+"/);
  // A single point sits in the middle rather than dividing by zero.
  const one = points(lineChart([{ x: 7, y: 3 }], { title: "one" }));
  assert.equal(one.length, 1);
  assert.ok(Number.isFinite(Number(one[0].cx)) && Number.isFinite(Number(one[0].cy)));
});

test("empty data draws the no-data state", () => {
  for (const svg of [
    barChart([], { title: "none", noData: "暂无数据" }),
    barChart([{ label: "a", value: 0 }, { label: "b", value: 0 }], { title: "zeros", noData: "暂无数据" }),
    barChart([], { title: "none", noData: "暂无数据", orientation: "horizontal" }),
    lineChart([], { title: "none", noData: "暂无数据" }),
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
    barChart([{ label: "a", key: evil, value: 1 }], {}),
  ];
  for (const svg of svgs) {
    assert.doesNotMatch(svg, /<script/);
    assert.doesNotMatch(svg, /" onload="/);
    // Every < is a tag the chart made; every & starts an entity.
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
    { day: "2026-02-02", value: 5 },
  ]);
  assert.deepEqual(daySeries({}, "2026-02-02", "2026-01-30"), []);
  assert.deepEqual(daySeries({}, "bad", "2026-01-30"), []);
  const capped = daySeries({}, "2000-01-01", "2026-01-30", 10);
  assert.equal(capped.length, 10);
  assert.equal(capped.at(-1).day, "2026-01-30");
});
