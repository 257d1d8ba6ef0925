"""Is every chart drawn with all it asked for?

The portal's ECharts bundles are production builds of only the chart types
and components the pages use (api/web/frontend); such a build skips a series
type or a component it was not given without a word, leaving a blank or
partial chart that still says `data-ready`. SPY (an init script of the
browser context) records the options each page script gives its charts;
MISSING lists, per chart, what of them has no model in the chart.
"""

from __future__ import annotations

SPY = """(() => {
  let lib;
  Object.defineProperty(window, "echarts", { configurable: true, get: () => lib, set: (bundle) => {
    lib = Object.assign({}, bundle);
    lib.init = function () {
      const chart = bundle.init.apply(this, arguments);
      const setOption = chart.setOption;
      chart.setOption = function (option) {
        (window.__chartOptions = window.__chartOptions || []).push([chart, option]);
        return setOption.apply(this, arguments);
      };
      return chart;
    };
  } });
})();"""

MISSING = """() => (window.__chartOptions || []).map(([chart, option]) => {
  const model = chart.getModel();
  const missing = [];
  const series = [].concat(option.series || []);
  if (model.getSeriesCount() !== series.length) missing.push("series " + series.map(s => s.type));
  for (const [key, value] of Object.entries(option)) {
    const parts = [].concat(value);
    const component = parts.length && parts[0] !== null && typeof parts[0] === "object";
    if (key !== "series" && key !== "aria" && component && !model.getComponent(key)) missing.push(key);
  }
  // aria is no component model: it labels the chart's element for screen readers.
  if (option.aria && option.aria.enabled && !chart.getZr().dom.getAttribute("aria-label")) missing.push("aria");
  for (const marker of ["markLine", "markArea", "markPoint"]) {
    if (series.some(s => s[marker]) && !model.getComponent(marker)) missing.push(marker);
  }
  return missing;
})"""


def charts_missing(page) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Per chart drawn on the page (SPY installed), what of its options ECharts lacks."""
    return page.evaluate(MISSING)
