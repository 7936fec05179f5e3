// Draw the dashboard's charts with Chart.js from the JSON block the page carries.
// Every chart also has a table of its numbers in a <details> below it (no JS needed).
(function () {
  "use strict";

  // Okabe–Ito: told apart by people with colour-vision deficiencies too.
  var PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];
  var BRAND = "#0b5cab", LATE = "#b3261e", WARN = "#a86400", OK = "#1e7b34", GREY = "#98a4b0";

  function short(text, max) {
    text = String(text || "");
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  function minutes(seconds) {
    return seconds === null || seconds === undefined ? null : Math.round(seconds / 6) / 10;
  }

  // One bar series: one value per row (a step), in one colour.
  function bars(rows, label, colour, value) {
    return { label: label, backgroundColor: colour, data: rows.map(value) };
  }

  // A horizontal or vertical bar chart with one bar group per SOP step.
  function stepBars(id, rows, datasets, options) {
    draw(id, { type: "bar", data: { labels: rows.map(function (r) { return r.name; }), datasets: datasets }, options: options });
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    try {
      new Chart(canvas, config);
      canvas.dataset.ready = "1";
    } catch (err) {
      canvas.dataset.error = String(err);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var block = document.getElementById("dashboard-data");
    if (!block || typeof Chart === "undefined") return;
    var data = JSON.parse(block.textContent);
    var L = data.labels || {};
    var locale = document.documentElement.lang || "id";
    var number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

    Chart.defaults.locale = locale;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.color = "#1d2733";
    Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
    if (reduced) Chart.defaults.animation = false;

    var stepTick = {
      // Long step names: shorter still on a phone; the tooltip and the table give them whole.
      callback: function (value) {
        return short(this.getLabelForValue(value), this.chart.width < 420 ? 14 : 28);
      }
    };
    var fullTitle = function (items) {
      return items.length ? items[0].label : "";
    };

    // 1. Running now per step: open (not yet late), late and failed, stacked per step.
    var running = data.running_by_step || [];
    stepBars("chart-running", running, [
      bars(running, L.open, BRAND, function (r) { return r.open - r.overdue; }),
      bars(running, L.overdue, LATE, function (r) { return r.overdue; }),
      bars(running, L.error, WARN, function (r) { return r.error; })
    ], {
      indexAxis: "y",
      scales: {
        x: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: L.tasks } },
        y: { stacked: true, ticks: stepTick }
      },
      plugins: { tooltip: { callbacks: { title: fullTitle } } }
    });

    // 2. Cases started and finished per ISO week.
    var weekly = data.weekly || [];
    var weeks = weekly.map(function (w) { return w.week; });
    draw("chart-weekly", {
      type: "line",
      data: {
        labels: weeks,
        datasets: [
          { label: L.started, borderColor: BRAND, backgroundColor: BRAND, cubicInterpolationMode: "monotone",
            data: weekly.map(function (w) { return w.started; }) },
          { label: L.finished, borderColor: OK, backgroundColor: OK, borderDash: [6, 4], cubicInterpolationMode: "monotone",
            pointStyle: "rectRot", data: weekly.map(function (w) { return w.finished; }) }
        ]
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: L.cases } },
          x: { title: { display: true, text: L.week } }
        }
      }
    });

    // 3. Share of tasks done by their due time, per step per week (gaps: nothing finished).
    var styles = ["circle", "rect", "triangle", "rectRot", "star", "crossRot", "dash", "cross"];
    draw("chart-compliance", {
      type: "line",
      data: {
        labels: weeks,
        datasets: (data.compliance || []).map(function (s, i) {
          var colour = PALETTE[i % PALETTE.length];
          return {
            label: short(s.name, 40), borderColor: colour, backgroundColor: colour,
            pointStyle: styles[i % styles.length], pointRadius: 4, spanGaps: true,
            data: s.percent
          };
        })
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { min: 0, max: 100, title: { display: true, text: L.percent },
               ticks: { callback: function (v) { return v + "%"; } } },
          x: { title: { display: true, text: L.week } }
        },
        plugins: {
          tooltip: { callbacks: { label: function (ctx) {
            return ctx.dataset.label + ": " + (ctx.parsed.y === null ? "—" : number.format(ctx.parsed.y) + "%");
          } } }
        }
      }
    });

    // 4. Median working time per step against its time standard, in minutes.
    var durations = data.durations || [];
    stepBars("chart-durations", durations, [
      bars(durations, L.median, BRAND, function (d) { return minutes(d.median_seconds); }),
      bars(durations, L.standard, GREY, function (d) { return minutes(d.standard_seconds); })
    ], {
      indexAxis: "y",
      scales: {
        x: { beginAtZero: true, title: { display: true, text: L.minutes } },
        y: { ticks: stepTick }
      },
      plugins: {
        tooltip: { callbacks: { title: fullTitle, label: function (ctx) {
          return ctx.dataset.label + ": " + (ctx.parsed.x === null ? "—" : number.format(ctx.parsed.x));
        } } }
      }
    });

    // 5. Cases completed in the period per outcome (the end event they reached).
    var outcomes = data.outcomes || [];
    stepBars("chart-outcomes", outcomes, [
      { label: L.finished, data: outcomes.map(function (o) { return o.count; }),
        backgroundColor: outcomes.map(function (o, i) { return PALETTE[i % PALETTE.length]; }) }
    ], {
      indexAxis: "y",
      scales: {
        x: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: L.cases } },
        y: { ticks: stepTick }
      },
      plugins: { legend: { display: false }, tooltip: { callbacks: { title: fullTitle } } }
    });
  });
})();
