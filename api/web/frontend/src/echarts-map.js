// ECharts for the map page (static/map.js): the map series on the dongs'
// boundaries, item tooltips, aria, the canvas renderer. Bundled by `npm run build`
// (build.mjs) into ../static/vendor/echarts-map.min.js as the global `echarts`.
import { use } from "echarts/core";
import { MapChart } from "echarts/charts";
import { AriaComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

use([
  MapChart, // the dongs (brings the geo coordinate system and roam)
  TooltipComponent, // a dong's figure or reason (richText)
  AriaComponent, // aria.enabled
  CanvasRenderer, // renderer "canvas"
]);

export * from "./api.js";
