// A district's or dong's series: draws the table below the chart (this period and
// the period before it) as two lines; the table stays the text alternative.
(function () {
  "use strict";
  var el = document.getElementById("series-chart");
  if (!el || !window.echarts) return;
  var ds = el.dataset;
  var trs = document.querySelectorAll("#" + ds.table + " tbody tr");
  function col(name) {
    return Array.prototype.map.call(trs, function (tr) {
      var v = tr.dataset[name];
      return v === "" || v === undefined ? null : Number(v);
    });
  }
  var labels = Array.prototype.map.call(trs, function (tr) { return tr.dataset.label; });
  el.hidden = false;
  var chart = echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    aria: { enabled: true },
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { data: [ds.now, ds.before], top: 0, right: 0 },
    grid: { left: 56, right: 16, top: 52, bottom: 32 },
    xAxis: { type: "category", data: labels },
    yAxis: { type: "value", name: ds.unit },
    series: [
      { name: ds.now, type: "bar", data: col("now"), itemStyle: { color: "#0b5cad" } },
      { name: ds.before, type: "line", data: col("before"), connectNulls: false,
        lineStyle: { type: "dashed", color: "#b35c00" }, itemStyle: { color: "#b35c00" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.dataset.ready = "true";
})();
