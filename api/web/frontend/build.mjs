// npm run build: the portal's two ECharts bundles (src/echarts-*.js, minified IIFEs
// that define the global `echarts`) and the licences of what they contain, into
// ../static/vendor/ (not committed). Needs only the installed packages (no network).
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

const out = "../static/vendor";
// Everything in vendor/ is built here: start empty, so no file of an older build stays.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/echarts-map.js", "src/echarts-charts.js"],
  outdir: out,
  entryNames: "[name].min",
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "echarts",
  target: "es2017",
  legalComments: "eof",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});
// ECharts (Apache-2.0, with its NOTICE and the d3 licence of code it embeds),
// ZRender (BSD-3-Clause), tslib (0BSD): all three are in both bundles.
for (const [from, to] of [
  ["node_modules/echarts/LICENSE", "echarts.LICENSE.txt"],
  ["node_modules/echarts/NOTICE", "echarts.NOTICE.txt"],
  ["node_modules/echarts/licenses/LICENSE-d3", "echarts.LICENSE-d3.txt"],
  ["node_modules/zrender/LICENSE", "zrender.LICENSE.txt"],
  ["node_modules/tslib/LICENSE.txt", "tslib.LICENSE.txt"],
]) {
  copyFileSync(from, `${out}/${to}`);
}
