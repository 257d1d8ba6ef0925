// A post's chart: the figures as they were when posted (the table, always there)
// and today's figures of the same public series (fetched live), as two lines.
(function () {
  "use strict";
  var el = document.getElementById("post-chart");
  if (!el || !window.echarts) return;
  var ds = el.dataset;
  var trs = document.querySelectorAll("#" + ds.table + " tbody tr");
  var starts = Array.prototype.map.call(trs, function (tr) { return tr.dataset.start; });
  var labels = Array.prototype.map.call(trs, function (tr) { return tr.dataset.label; });
  var then = Array.prototype.map.call(trs, function (tr) {
    return tr.dataset.value === "" ? null : Number(tr.dataset.value);
  });
  function draw(live) {
    el.hidden = false;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      aria: { enabled: true },
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { data: [ds.then, ds.now], top: 0, right: 0 },
      grid: { left: 56, right: 16, top: 52, bottom: 32 },
      xAxis: { type: "category", data: labels },
      yAxis: { type: "value", name: ds.unit },
      series: [
        { name: ds.then, type: "bar", data: then, itemStyle: { color: "#8a8f99" } },
        { name: ds.now, type: "line", data: live, itemStyle: { color: "#0b5cad" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "true";
  }
  fetch(ds.live, { headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : { points: [] }; })
    .catch(function () { return { points: [] }; })
    .then(function (body) {
      var byStart = {};
      (body.points || []).forEach(function (p) {
        byStart[p.start] = p.status === "ok" ? p.consumption : null;
      });
      draw(starts.map(function (s) { return s in byStart ? byStart[s] : null; }));
    });
})();
