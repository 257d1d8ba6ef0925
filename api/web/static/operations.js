// Operators' fleet page: updates each agent's row, the rejected messages by reason and the
// collectors' table from /operations/stream (SSE), as the page first wrote them. A row that
// goes down is marked by text, a triangle and a red, dashed row; screen readers hear the
// change through the polite live region, at most once every 30 s.
(function () {
  "use strict";
  var table = document.getElementById("agents");
  if (!table || !window.EventSource) return;
  var live = document.getElementById("ops-live");
  var summary = document.getElementById("ops-summary");
  var summaryText = document.getElementById("ops-summary-text");
  var asOf = document.getElementById("ops-as-of");
  var ANNOUNCE_EVERY_MS = 30000;
  var lastAnnounced = 0;
  var lastDown = null;

  function ago(s) { return s === null ? "–" : table.dataset.tAgo.replace("{s}", String(Math.round(s))); }
  function kst(ms) {
    var t = new Date(ms + 9 * 3600 * 1000).toISOString();
    return t.slice(0, 10) + " " + t.slice(11, 19) + " KST";
  }
  // "reason count, ..." sorted by reason, as the page's first rendering writes it.
  function rejected(byReason) {
    var reasons = Object.keys(byReason).sort();
    return reasons.length ? reasons.map(function (r) { return r + " " + byReason[r]; }).join(", ") : "–";
  }
  function update(a) {
    var row = table.querySelector('tr[data-agent="' + CSS.escape(a.agent) + '"][data-site="' + CSS.escape(a.site) + '"]');
    if (!row) return;
    row.classList.toggle("is-down", a.down);
    var st = row.querySelector('[data-fig="state"]');
    st.className = "meter-status status-" + (a.down ? "stale" : "ok");
    st.querySelector(".shape").textContent = a.down ? "▲" : "●";
    st.lastChild.textContent = " " + table.dataset["tState" + a.state.charAt(0).toUpperCase() + a.state.slice(1)];
    row.querySelector('[data-fig="status_age"]').textContent = ago(a.status_age_s);
    row.querySelector('[data-fig="batch_age"]').textContent = ago(a.last_batch_age_s);
    row.querySelector('[data-fig="outbox"]').textContent = a.outbox_depth === null ? "–" : String(a.outbox_depth);
    row.querySelector('[data-fig="dropped"]').textContent = a.dropped === null ? "–" : String(a.dropped);
    row.querySelector('[data-fig="gaps"]').textContent = String(a.seq_gaps_hour);
    row.querySelector('[data-fig="rejected"]').textContent = rejected(a.rejected_hour);
    row.querySelector('[data-fig="silent"]').textContent = a.silent_meters.length ? a.silent_meters.join(", ") : "–";
    row.querySelector('[data-fig="error"]').textContent = a.last_error || "–";
  }
  function cell(tag, text, numeric) {
    var c = document.createElement(tag);
    c.textContent = text;
    if (tag === "th") c.scope = "row";
    if (numeric) c.className = "num";
    return c;
  }
  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (c) { tr.appendChild(c); });
    return tr;
  }
  // A table's rows, or its "none" sentence across its columns.
  function fill(id, rows, columns) {
    var t = document.getElementById(id);
    if (!t) return;
    var none = cell("td", t.dataset.tNone);
    none.colSpan = columns;
    t.tBodies[0].replaceChildren.apply(t.tBodies[0], rows.length ? rows : [row([none])]);
  }
  function lag(s) {
    return s === null ? "–" : s.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }
  function updateTotals(data) {
    fill("rejected", Object.keys(data.rejected).sort().map(function (r) {
      return row([cell("th", r), cell("td", String(data.rejected[r]), true)]);
    }), 2);
    fill("collectors", data.collectors.map(function (c) {
      var tr = row([cell("th", c.instance), cell("td", lag(c.lag_p50_s) + " / " + lag(c.lag_p99_s) + " s", true)]
        .concat(["readings_hour", "messages_hour", "rejected_hour", "seq_gaps_hour", "seq_duplicates_hour"]
          .map(function (k) { return cell("td", String(c[k]), true); })));
      tr.dataset.instance = c.instance;
      return tr;
    }), 7);
  }
  var source = new EventSource(table.dataset.stream);
  source.addEventListener("fleet", function (e) {
    var data = JSON.parse(e.data);
    data.agents.forEach(update);
    updateTotals(data);
    asOf.textContent = kst(data.at_ms);
    table.dataset.updated = String(data.at_ms);
    var down = data.agents.filter(function (a) { return a.down; }).map(function (a) { return a.agent; });
    var text = table.dataset.tSummary.replace("{n}", data.agents.length).replace("{down}", down.length);
    summaryText.textContent = text;
    summary.classList.toggle("has-stale", down.length > 0);
    var key = down.join(",");
    if (lastDown === null) { lastDown = key; return; }
    var now = Date.now();
    if (key === lastDown || now - lastAnnounced < ANNOUNCE_EVERY_MS) return;
    lastDown = key;
    lastAnnounced = now;
    live.textContent = down.length ? text + ". " + table.dataset.tDownNow.replace("{agents}", down.join(", ")) : text;
  });
  source.addEventListener("ended", function () { source.close(); });
})();
