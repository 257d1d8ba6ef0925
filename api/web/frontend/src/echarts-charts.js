// ECharts for the pages with bar and line charts: series.js and split.js (district
// and dong pages), household.js, board_chart.js, survey_trend.js. Bundled by
// `npm run build` (build.mjs) into ../static/vendor/echarts-charts.min.js as the
// global `echarts`.
import { use } from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

use([
  BarChart, // series.js, split.js, household.js, board_chart.js
  LineChart, // series.js, household.js, board_chart.js, survey_trend.js
  GridComponent, // the category and value axes
  LegendComponent, // every chart with more than one series
  MarkLineComponent, // household.js: the month the household joined its programme
  TooltipComponent, // trigger "axis" (brings the axis pointer), richText
  AriaComponent, // aria.enabled
  CanvasRenderer, // renderer "canvas"
]);

export * from "./api.js";
