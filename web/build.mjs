// Bundles the portal's scripts, which are committed so that neither the Go
// build nor the tests need npm (only Node.js, to run the script tests).
// Run it after changing anything under src or a test driver:
//   npm ci && npm run build
//
//   src/pages/NAME.js        -> static/assets/NAME.js   (each page's script)
//   src/**/*.test.mjs        -> testjs/**/*.test.mjs    (node --test testjs/)
//   testdata/*/driver files  -> testjs/*/              (scripts Go tests run)
//
// testjs mirrors the depth of src, so a test's paths relative to its own
// file (../../testdata/...) hold in both places. Its bundles are minified
// too (the sources are in src; the bundles are only run).
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

function files(dir, keep) {
  return readdirSync(dir, { recursive: true })
    .filter((f) => keep(f))
    .map((f) => join(dir, f));
}

const common = { bundle: true, format: "esm", minify: true, legalComments: "eof", logLevel: "warning" };

await build({
  ...common,
  entryPoints: files("src/pages", (f) => f.endsWith(".js")),
  outdir: "static/assets",
  target: ["chrome120", "firefox120", "safari17"],
});

// The tests share their libraries through chunks (testjs/chunks), rebuilt
// from scratch each time so that no stale one stays.
rmSync("testjs", { recursive: true, force: true });
await build({
  ...common,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  entryPoints: files("src", (f) => f.endsWith(".test.mjs")),
  outbase: "src",
  outdir: "testjs",
  outExtension: { ".js": ".mjs" },
  platform: "node",
  target: "node20",
});

// Drivers: Node scripts (.mjs) and browser pages' scripts (.js) that Go
// tests run, kept beside their vectors in testdata/AREA/.
for (const [ext, platform] of [[".mjs", "node"], [".js", "browser"]]) {
  const entryPoints = files("testdata", (f) => f.endsWith(ext) && !f.includes("fuzz"));
  if (entryPoints.length === 0) continue;
  await build({
    ...common,
    entryPoints,
    outbase: "testdata",
    outdir: "testjs",
    outExtension: { ".js": ext },
    platform,
    target: platform === "node" ? "node20" : "chrome120",
  });
}
console.log("built static/assets and testjs");
