// The dashboard's script (docs/operations.md §Dashboard). Its data is the
// JSON block #hdc-data when the page carries one (hdc-reportctl report
// --html), else GET /api/v1/summary, /api/v1/trend and /api/v1/new from the
// listener that served the page. Every value goes into the page as text
// (textContent, createTextNode), never as markup; no request leaves the
// page's origin.
(function () {
  "use strict";

  var PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                 "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function show(value) {
    return value === null || value === undefined || value === "" ? "-" : String(value);
  }

  function size(bytes) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"];
    var n = Number(bytes) || 0;
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(1)) + " " + units[i];
  }

  function counts(map) {
    var parts = [];
    Object.keys(map || {}).forEach(function (state) { parts.push(map[state] + " " + state); });
    return parts.length ? parts.join(", ") : "-";
  }

  function cell(row, text, cls) {
    var td = el("td", text, cls);
    row.appendChild(td);
    return td;
  }

  function body(tableId) {
    var tbody = document.querySelector("#" + tableId + " tbody");
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    return tbody;
  }

  function emptyRow(tbody, columns, text) {
    var row = el("tr");
    var td = cell(row, text, "note");
    td.colSpan = columns;
    tbody.appendChild(row);
  }

  function seriesName(s) {
    return s.value === null ? "(none)" : s.value;
  }

  function color(i, s) {
    return s.value === "other" && i === PALETTE.length - 1 ? "#9aa0a6" : PALETTE[i % PALETTE.length];
  }

  // Stacked areas: series i is drawn as the sum of series i..n-1, the
  // largest sum first, so each band shows one driver; the legend shows
  // each driver's own count.
  function drawTrend(trend) {
    var box = document.getElementById("trend-chart");
    while (box.firstChild) box.removeChild(box.firstChild);
    var xs = trend.days_list.map(function (day) { return Date.parse(day + "T00:00:00Z") / 1000; });
    var n = trend.series.length;
    var stacked = [];
    var running = xs.map(function () { return 0; });
    for (var k = n - 1; k >= 0; k--) {
      running = running.map(function (v, d) { return v + trend.series[k].events[d]; });
      stacked[k] = running.slice();
    }
    var fg = getComputedStyle(document.body).color;
    var grid = getComputedStyle(document.body).getPropertyValue("--line") || "#ccc";
    var series = [{}];
    trend.series.forEach(function (s, i) {
      series.push({
        label: seriesName(s),
        stroke: color(i, s),
        fill: color(i, s) + "b0",
        width: 1,
        value: function (u, v, si, di) {
          return di === null || di === undefined ? "-" : String(trend.series[si - 1].events[di]);
        }
      });
    });
    var axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    var options = {
      width: Math.max(300, box.clientWidth || 600),
      height: 320,
      series: series,
      scales: { x: { time: true } },
      axes: [axis, Object.assign({}, axis, { size: 60 })],
      cursor: { drag: { x: false, y: false } }
    };
    var data = [xs].concat(stacked.length ? stacked : []);
    var plot = new uPlot(options, data, box);
    window.addEventListener("resize", function () {
      plot.setSize({ width: Math.max(300, box.clientWidth || 600), height: 320 });
    });

    var tbody = body("trend-table");
    if (!n) emptyRow(tbody, 2, "No events in the window.");
    trend.series.forEach(function (s, i) {
      var row = el("tr");
      row.dataset.series = seriesName(s);
      var name = cell(row, null);
      var swatch = el("span", null, "swatch");
      swatch.style.background = color(i, s);
      name.appendChild(swatch);
      name.appendChild(document.createTextNode(seriesName(s)));
      var total = s.events.reduce(function (a, b) { return a + b; }, 0);
      cell(row, total, "num");
      tbody.appendChild(row);
    });
  }

  // A sparkline of one bucket's events per day: an SVG polyline (one
  // point per day, oldest first) and a dot on the last day; the counts are
  // also the element's data-values and its title.
  var SVG = "http://www.w3.org/2000/svg";
  function sparkline(daily, days) {
    var w = 120, h = 24, pad = 2;
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("role", "img");
    svg.dataset.values = daily.join(",");
    var max = Math.max.apply(null, daily.concat([1]));
    var step = daily.length > 1 ? (w - 2 * pad) / (daily.length - 1) : 0;
    var points = daily.map(function (v, i) {
      return (pad + i * step).toFixed(1) + "," + (h - pad - (v / max) * (h - 2 * pad)).toFixed(1);
    });
    var line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", points.join(" "));
    svg.appendChild(line);
    if (points.length) {
      var last = points[points.length - 1].split(",");
      var dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("cx", last[0]);
      dot.setAttribute("cy", last[1]);
      dot.setAttribute("r", "2");
      svg.appendChild(dot);
    }
    var title = document.createElementNS(SVG, "title");
    title.textContent = days.map(function (d, i) { return d + ": " + daily[i]; }).join("\n");
    svg.appendChild(title);
    return svg;
  }

  function drawTop(top, days) {
    document.getElementById("top-note").textContent =
      "Events in the last 7 days against the 7 days before; per day over " + days.length +
      " days" + (days.length ? " (" + days[0] + " to " + days[days.length - 1] + ")" : "") + ".";
    var tbody = body("top-table");
    if (!top.length) emptyRow(tbody, 6, "No failures in the last 7 days.");
    top.forEach(function (b) {
      var row = el("tr");
      row.dataset.hash = show(b.failure_hash);
      var name = cell(row, show(b.failure_name));
      name.title = show(b.failure_hash);
      cell(row, show(b.driver_name));
      cell(row, b.this_week, "num");
      cell(row, b.last_week, "num");
      var change = b.this_week - b.last_week;
      cell(row, (change > 0 ? "+" : "") + change, "num " + (change > 0 ? "up" : change < 0 ? "down" : ""));
      cell(row, null).appendChild(sparkline(b.daily, days));
      tbody.appendChild(row);
    });
  }

  function drawNew(fresh) {
    document.getElementById("new-note").textContent =
      "First seen in the last " + fresh.days + " days (" + fresh.since + " to " + fresh.until + ").";
    var tbody = body("new-table");
    if (!fresh["new"].length) emptyRow(tbody, 5, "None.");
    fresh["new"].forEach(function (b) {
      var row = el("tr");
      row.dataset.hash = b.failure_hash;
      var name = cell(row, show(b.failure_name));
      name.title = b.failure_hash;
      cell(row, show(b.driver_name));
      cell(row, show(b.driver_version));
      cell(row, b.events, "num");
      cell(row, b.first_day);
      tbody.appendChild(row);
    });
  }

  function drawJobs(summary) {
    var tbody = body("jobs-table");
    if (!summary.jobs.length) emptyRow(tbody, 8, "No jobs yet.");
    summary.jobs.forEach(function (j) {
      var row = el("tr");
      row.dataset.job = j.name;
      cell(row, j.name);
      var health = j.healthy === null ? "unknown" : j.healthy ? "healthy" : "failing";
      if (j.consecutive_failures) health += " (" + j.consecutive_failures + " failures)";
      cell(row, health, j.healthy === false ? "unhealthy" : j.healthy ? "healthy" : "");
      cell(row, show(j.last_success));
      cell(row, show(j.next_due));
      cell(row, counts(j.executions));
      cell(row, counts(j.cabs));
      cell(row, j.rows, "num");
      var stored = cell(row, size(j.bytes), "num");
      stored.dataset.bytes = String(j.bytes);
      tbody.appendChild(row);
    });
  }

  function drawRetention(summary) {
    var days = summary.retention_seconds === null ? null : summary.retention_seconds / 86400;
    document.getElementById("retention").textContent = days === null
      ? "Retention: see [service] retention."
      : "Personal data (device ids, cabs, report files) is kept for " + days +
        " days, then removed by the retention sweep.";
    var h = summary.retention_horizon;
    var horizon = document.getElementById("horizon");
    horizon.textContent = h.oldest_personal_datum === null
      ? "No personal data is held."
      : "The oldest personal datum is from " + h.oldest_personal_datum +
        (h.removed_by === null ? "." : "; the sweep removes it by " + h.removed_by + ".");
    horizon.dataset.oldest = show(h.oldest_personal_datum);
    horizon.dataset.removedBy = show(h.removed_by);
    var s = summary.last_sweep;
    document.getElementById("last-sweep").textContent = s
      ? "Last sweep " + s.started_at + " (cutoff " + s.cutoff + "): removed " + s.reports_deleted +
        " report(s), " + s.cabs_deleted + " cab(s) (" + size(s.report_bytes + s.cab_bytes) + "), " +
        s.rows_deleted + " row(s)."
      : "No sweep has run yet.";
  }

  function drawMeta(summary) {
    var t = summary.totals;
    var meta = document.getElementById("meta");
    meta.textContent = "As of " + summary.generated_at + " · " + t.rows + " failure rows · " +
      size(t.bytes) + " stored · " + summary.jobs.length + " job(s)" +
      (summary.daemon_answered ? "" : " · the daemon did not answer: no cycle data");
    meta.dataset.rows = String(t.rows);
    meta.dataset.bytes = String(t.bytes);
  }

  function render(data) {
    drawMeta(data.summary);
    drawTrend(data.trend);
    drawTop(data.summary.top, data.summary.top_days);
    drawNew(data["new"]);
    drawJobs(data.summary);
    drawRetention(data.summary);
    document.body.dataset.rendered = "yes";
  }

  function fail(error) {
    var box = document.getElementById("error");
    box.textContent = "Cannot load the dashboard: " + error.message;
    box.hidden = false;
    document.body.dataset.rendered = "error";
  }

  function getJson(path) {
    return fetch(path, { cache: "no-store", credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(path + ": HTTP " + r.status);
      return r.json();
    });
  }

  function load() {
    var embedded = document.getElementById("hdc-data");
    if (embedded) return Promise.resolve(JSON.parse(embedded.textContent));
    var days = new URLSearchParams(window.location.search).get("days") || "14";
    if (!/^[0-9]{1,3}$/.test(days)) days = "14";
    return Promise.all([
      getJson("/api/v1/summary?days=" + days),
      getJson("/api/v1/trend?by=DriverName&days=" + days),
      getJson("/api/v1/new?days=" + days)
    ]).then(function (docs) { return { summary: docs[0], trend: docs[1], "new": docs[2] }; });
  }

  function start() {
    load().then(render).catch(fail);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
