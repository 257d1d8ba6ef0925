// npm run build: the portal's two ECharts bundles (src/echarts-*.js, IIFEs that
// define the global `echarts`) and the licences of what they contain, into
// ../static/vendor/ (not committed). Needs only the installed packages (no network).
// esbuild bundles (and drops what the entries do not use); terser minifies, which
// leaves the charts bundle 8 KB (gzip) lighter than esbuild's own minifier.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";
import { minify } from "terser";

const out = "../static/vendor";
// Everything in vendor/ is built here: start empty, so no file of an older build stays.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const name of ["echarts-map", "echarts-charts"]) {
  const bundled = await build({
    entryPoints: [`src/${name}.js`],
    write: false,
    bundle: true,
    format: "iife",
    globalName: "echarts",
    target: "es2017",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "warning",
  });
  const { code } = await minify(bundled.outputFiles[0].text, {
    compress: { passes: 2 },
    mangle: true,
    format: { comments: /^!|@license|@preserve/ }, // tslib's and zrender's notices
  });
  writeFileSync(`${out}/${name}.min.js`, code);
}
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
