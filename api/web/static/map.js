// The dong map: draws the figures of the table below it (the same numbers) on the
// dongs' boundaries. Withheld dongs are hatched and labelled with their reason.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.echarts || !window.fetch) return;
  var ds = el.dataset;
  var HATCH = { symbol: "rect", symbolSize: 1, color: "rgba(60, 64, 72, 0.55)",
                dashArrayX: [1, 0], dashArrayY: [2, 4], rotation: Math.PI / 4 };
  var labels = { reason_below_k: ds.labelBelowK, reason_complementary: ds.labelComplementary,
                 reason_dominated: ds.labelDominated };
  var GREY = "#e9ebee";
  var SCALE = [[214, 230, 245], [106, 165, 216], [11, 79, 138]];  // light to dark blue

  // Colour of a value between min and max (our own scale: dongs without a value stay grey).
  function colour(value, min, max) {
    var f = max > min ? (value - min) / (max - min) : 1;
    var i = f < 0.5 ? 0 : 1, g = f < 0.5 ? f * 2 : f * 2 - 1;
    var rgb = SCALE[i].map(function (c, k) { return Math.round(c + (SCALE[i + 1][k] - c) * g); });
    return "rgb(" + rgb.join(",") + ")";
  }

  function rows() {
    return Array.prototype.map.call(
      document.querySelectorAll("#" + ds.table + " tbody tr"),
      function (tr) {
        var d = tr.dataset;
        var item = { name: d.dong, dong: d.name, status: d.status, reason: d.reason,
                     reasonText: tr.cells[tr.cells.length - 1].textContent.trim(),
                     value: d.value === "" ? null : Number(d.value) };
        if (d.status === "suppressed") {
          item.itemStyle = { areaColor: GREY, decal: HATCH };
          item.label = { show: true, formatter: d.name + "\n" + (labels[d.reason] || ""),
                         fontSize: 11, lineHeight: 14, color: "#222",
                         backgroundColor: "rgba(255,255,255,0.85)", padding: [2, 4] };
        }
        return item;
      });
  }

  fetch(ds.geo).then(function (r) { return r.json(); }).then(function (geo) {
    echarts.registerMap("gwangju", geo);
    var data = rows();
    var values = data.map(function (d) { return d.value; }).filter(function (v) { return v !== null; });
    var min = Math.min.apply(null, values), max = Math.max.apply(null, values);
    data.forEach(function (d) {
      if (d.value !== null) d.itemStyle = { areaColor: colour(d.value, min, max) };
    });
    el.hidden = false;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      aria: { enabled: true },
      tooltip: { renderMode: "richText", formatter: function (p) {
        var d = p.data || {};
        if (d.value !== null && d.value !== undefined) return d.dong + ": " + d.value.toFixed(2) + " " + ds.unit;
        return (d.dong || p.name) + "\n" + (d.reasonText || "");
      } },
      series: [{ type: "map", map: "gwangju", nameProperty: "dong", roam: true, selectedMode: false,
        layoutCenter: ["50%", "50%"], layoutSize: "96%",
        aspectScale: 0.85, itemStyle: { borderColor: "#ffffff", borderWidth: 0.6, areaColor: GREY },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#ffcf70" } },
        data: data }]
    });
    chart.on("click", function (p) {
      if (p.name) window.location.href = ds.link.replace("CODE", encodeURIComponent(p.name));
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "true";
  });
})();
