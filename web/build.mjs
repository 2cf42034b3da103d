// Bundles each page's script (src/pages/NAME.js) into static/assets/NAME.js,
// which is committed: `go run` and the Go build need no npm. Run it after
// changing anything under src: npm ci && npm run build.
import { build } from "esbuild";
import { readdirSync } from "node:fs";

const pages = readdirSync("src/pages").filter((f) => f.endsWith(".js"));
await build({
  entryPoints: pages.map((f) => `src/pages/${f}`),
  outdir: "static/assets",
  bundle: true,
  format: "esm",
  target: ["chrome120", "firefox120", "safari17"],
  minify: true,
  legalComments: "eof",
  logLevel: "info",
});
