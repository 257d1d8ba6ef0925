// Facility live page: updates each meter's panel from /facility/<site>/stream (SSE).
// Screen readers hear a summary in the polite live region only when the stale meters change,
// and at most once every 30 s; the panels themselves are not live regions.
// Without JavaScript the page shows the figures as served.
(function () {
  "use strict";
  var root = document.getElementById("meters");
  if (!root || !window.EventSource) return;
  var locale = root.dataset.lang === "en" ? "en-US" : "ko-KR";
  var live = document.getElementById("fac-live");
  var summary = document.getElementById("fac-summary");
  var summaryText = document.getElementById("fac-summary-text");
  var asOf = document.getElementById("fac-as-of");
  var SHAPES = { ok: "●", stale: "▲", no_data: "▲", bad: "■", uncertain: "◆" };
  var ANNOUNCE_EVERY_MS = 30000;
  var lastAnnounced = 0;
  var lastStale = null;

  function fmt(value, digits) {
    return value.toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function statusText(status) {
    return root.dataset["tStatus" + status.split("_").map(function (w) {
      return w.charAt(0).toUpperCase() + w.slice(1);
    }).join("")];
  }
  function kst(ms) {
    var t = new Date(ms + 9 * 3600 * 1000).toISOString();
    return t.slice(0, 10) + " " + t.slice(11, 19) + " KST";
  }
  function panel(m) {
    return root.querySelector('[data-meter="' + CSS.escape(m.meter) + '"][data-utility="' + m.utility + '"]');
  }
  function update(m) {
    var el = panel(m);
    if (!el) return;
    el.classList.toggle("is-stale", m.stale);
    var st = el.querySelector('[data-fig="status"]');
    st.className = "meter-status status-" + m.status;
    st.querySelector(".shape").textContent = SHAPES[m.status] || "";
    st.lastChild.textContent = " " + statusText(m.status);
    el.querySelector('[data-fig="age"]').textContent =
      m.age_s === null ? "–" : root.dataset.tAgo.replace("{s}", String(m.age_s));
    el.querySelector('[data-fig="quality"]').textContent = m.quality || "–";
    var dds = el.querySelectorAll('[data-fig="values"] .num');
    m.values.forEach(function (v, i) { if (dds[i]) dds[i].textContent = fmt(v.value, 2); });
  }
  function announce(data) {
    var stale = data.meters.filter(function (m) { return m.stale; }).map(function (m) { return m.meter; });
    var key = stale.join(",");
    var text = root.dataset.tSummary.replace("{n}", data.meters.length).replace("{stale}", stale.length);
    summaryText.textContent = text;
    summary.classList.toggle("has-stale", stale.length > 0);
    var now = Date.now();
    if (lastStale === null) { lastStale = key; return; }  // the page already says it
    if (key === lastStale || now - lastAnnounced < ANNOUNCE_EVERY_MS) return;
    lastStale = key;
    lastAnnounced = now;
    live.textContent = stale.length ? text + ". " + root.dataset.tStaleNow.replace("{meters}", stale.join(", ")) : text;
  }

  var source = new EventSource(root.dataset.stream);
  source.addEventListener("meters", function (e) {
    var data = JSON.parse(e.data);
    data.meters.forEach(update);
    asOf.textContent = kst(data.at_ms);
    root.dataset.updated = String(data.at_ms);
    var changed = document.getElementById("fac-alerts-changed");
    if (changed && data.alerts) {
      var differs = data.alerts.join(",") !== changed.dataset.alerts;
      if (differs && changed.hidden) {
        changed.hidden = false;
        live.textContent = changed.textContent.trim();
      } else if (!differs) {
        changed.hidden = true;
      }
    }
    announce(data);
  });
  source.addEventListener("ended", function () { source.close(); });
})();
