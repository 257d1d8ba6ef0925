// The respondents' districts' daily electricity over the round (the table below
// stays the text alternative): one line per district.
(function () {
  "use strict";
  var el = document.getElementById("trend-chart");
  if (!el || !window.echarts) return;
  var table = document.getElementById(el.dataset.table);
  var names = Array.prototype.slice.call(table.querySelectorAll("thead th"), 1)
    .map(function (th) { return th.textContent; });
  var rows = table.querySelectorAll("tbody tr");
  if (!rows.length) return;
  var labels = Array.prototype.map.call(rows, function (tr) { return tr.querySelector("th").textContent; });
  var colours = ["#0b5cad", "#b35c00", "#1a7f37", "#8250df", "#cf222e"];
  var series = names.map(function (name, i) {
    return {
      name: name, type: "line", itemStyle: { color: colours[i % colours.length] },
      data: Array.prototype.map.call(rows, function (tr) {
        var v = tr.querySelectorAll("td")[i].dataset.value;
        return v === "" ? null : Number(v);
      })
    };
  });
  el.hidden = false;
  var chart = echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    aria: { enabled: true },
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { data: names, top: 0, right: 0 },
    grid: { left: 64, right: 16, top: 52, bottom: 32 },
    xAxis: { type: "category", data: labels },
    yAxis: { type: "value", name: el.dataset.unit },
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.dataset.ready = "true";
})();
