// City now: updates the figures already in the page from the live stream (SSE).
// Without JavaScript the page shows the same figures as served.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !window.EventSource) return;
  var lang = root.dataset.lang === "en" ? "en-US" : "ko-KR";
  var factors = JSON.parse(root.dataset.factors);
  var USE = ["electricity", "gas", "water", "heat"];

  function fmt(value, digits) {
    if (value === null || value === undefined) return "–";
    return value.toLocaleString(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function set(key, text, withheld) {
    document.querySelectorAll('[data-fig="' + key + '"]').forEach(function (el) {
      el.textContent = text;
      el.classList.toggle("withheld", withheld === true);
    });
  }
  function figure(f) {
    if (f.status === "ok" && f.rate !== null) return fmt(f.rate, 1);
    return f.status === "suppressed" ? root.dataset.withheld : root.dataset.nodata;
  }
  function ratio(s) { return s.ratio === null || s.ratio === undefined ? "–" : fmt(s.ratio * 100, 1) + "%"; }
  function kstMinute(iso) {
    var t = new Date(new Date(iso).getTime() + 9 * 3600 * 1000).toISOString();
    return t.slice(0, 10) + " " + t.slice(11, 16) + " KST";
  }

  function show(live) {
    var co2e = null;
    live.utilities.forEach(function (f) {
      set("city." + f.utility + ".rate", figure(f), f.status === "suppressed");
      var kg = f.rate === null ? null : f.rate * factors[f.utility];
      set("city." + f.utility + ".co2e", fmt(kg, 0));
      if (kg !== null && USE.indexOf(f.utility) >= 0) co2e = (co2e || 0) + kg;
    });
    set("city.co2e", fmt(co2e, 0));
    set("city.ratio", ratio(live.self_sufficiency));
    live.districts.forEach(function (d) {
      d.utilities.forEach(function (f) {
        set(d.code + "." + f.utility + ".rate", figure(f), f.status === "suppressed");
      });
      set(d.code + ".ratio", ratio(d.self_sufficiency));
    });
    if (live.minute) {
      var asOf = document.getElementById("as-of");
      asOf.textContent = asOf.dataset.template.replace("{time}", kstMinute(live.minute));
      root.dataset.minute = live.minute;
    }
  }

  var source = new EventSource(root.dataset.stream);
  source.addEventListener("live", function (event) { show(JSON.parse(event.data)); });
})();
