// An area's use per building type: draws the table below the chart as bars; withheld
// types have no bar (the table says why), and the table stays the text alternative.
(function () {
  "use strict";
  var el = document.getElementById("types-chart");
  if (!el || !window.echarts) return;
  var ds = el.dataset;
  var trs = document.querySelectorAll("#" + ds.table + " tbody tr");
  var labels = Array.prototype.map.call(trs, function (tr) { return tr.dataset.label; });
  var values = Array.prototype.map.call(trs, function (tr) {
    return tr.dataset.value === "" ? null : Number(tr.dataset.value);
  });
  el.hidden = false;
  var chart = echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    aria: { enabled: true },
    tooltip: { trigger: "axis", renderMode: "richText" },
    grid: { left: 56, right: 16, top: 24, bottom: 32 },
    xAxis: { type: "category", data: labels },
    yAxis: { type: "value", name: ds.unit },
    series: [{ type: "bar", data: values, itemStyle: { color: "#0b5cad" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.dataset.ready = "true";
})();
