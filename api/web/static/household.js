// A household's monthly use per utility: bars stacked by source (meter, utility
// download, bill; one source per month) and, where shown, the similar
// households' median as a line. Drawn from the table below each chart, which
// stays the text alternative.
(function () {
  "use strict";
  if (!window.echarts) return;
  var SOURCES = [
    { key: "meter", color: "#0b5cad" },
    { key: "interval", color: "#1a7f37" },
    { key: "bill", color: "#8a5a00" }
  ];
  function draw(el) {
    var ds = el.dataset;
    var rows = document.querySelectorAll("#" + ds.table + " tbody tr");
    if (!rows.length) return;
    var labels = Array.prototype.map.call(rows, function (tr) { return tr.dataset.label; });
    var series = SOURCES.map(function (s) {
      return {
        name: ds[s.key], type: "bar", stack: "use", itemStyle: { color: s.color },
        data: Array.prototype.map.call(rows, function (tr) {
          return tr.dataset.source === s.key ? Number(tr.dataset.value) : null;
        })
      };
    }).filter(function (s) { return s.data.some(function (v) { return v !== null; }); });
    if (ds.peers) {
      series.push({
        name: ds.peers, type: "line", connectNulls: false,
        lineStyle: { type: "dashed", color: "#b3261e" }, itemStyle: { color: "#b3261e" },
        data: Array.prototype.map.call(rows, function (tr) {
          return tr.dataset.peer === "" ? null : Number(tr.dataset.peer);
        })
      });
    }
    if (ds.joined && labels.indexOf(ds.joined) >= 0 && series.length) {
      // The month the household joined its programme: baseline before, savings after.
      series[0].markLine = {
        symbol: "none", silent: true, data: [{ xAxis: ds.joined }],
        lineStyle: { color: "#4a5360", type: "solid" },
        label: { formatter: ds.joinedLabel, position: "end", color: "#1b1f24" }
      };
    }
    el.hidden = false;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      aria: { enabled: true },
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { data: series.map(function (s) { return s.name; }), bottom: 0, left: 0 },
      grid: { left: 56, right: 24, top: 40, bottom: 64 },
      xAxis: { type: "category", data: labels },
      yAxis: { type: "value", name: ds.unit },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "true";
  }
  Array.prototype.forEach.call(document.querySelectorAll(".chart.household"), draw);
})();
