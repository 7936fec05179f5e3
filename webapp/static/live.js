// Live progress of a case's automatic steps (the deployment): while the case runs, poll
// calls.json every 2 s and update the steps, the status badge and the report card in place.
(function () {
  "use strict";
  var POLL_MS = 2000;

  function words(section) {
    var d = section.dataset;
    return { attempt: d.wordAttempt, minutes: d.wordMinutes, seconds: d.wordSeconds, of: d.wordOf, late: d.wordLate, met: d.wordMet };
  }

  function fmt(seconds, w) {
    var m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
    return m + " " + w.minutes + " " + (s < 10 ? "0" : "") + s + " " + w.seconds;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;  // text, never HTML: output is untrusted
    return node;
  }

  // A call that started after the page was drawn (e.g. the report after the deployment).
  function article(section, call, w) {
    var node = el("article", "call");
    node.dataset.callId = call.id;
    var h3 = el("h3");
    h3.appendChild(el("span", "call-name", call.name));
    h3.appendChild(document.createTextNode(" "));
    var small = el("small", "muted", "· " + w.attempt + " " + call.attempt + " · ");
    small.appendChild(el("span", "call-status"));
    h3.appendChild(small);
    node.appendChild(h3);
    var verdict = el("p", "call-verdict small");
    verdict.hidden = true;
    node.appendChild(verdict);
    var progress = el("div", "progress");
    var bar = el("div", "bar");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.appendChild(el("span"));
    progress.appendChild(bar);
    progress.appendChild(el("span", "elapsed small muted"));
    node.appendChild(progress);
    var log = el("pre", "log");
    log.hidden = true;
    node.appendChild(log);
    section.appendChild(node);
    return node;
  }

  function renderCall(section, call, w) {
    var node = section.querySelector('[data-call-id="' + call.id + '"]') || article(section, call, w);
    node.className = "call status-" + call.status;
    node.querySelector(".call-status").textContent = call.status_label;
    var log = node.querySelector("pre.log");
    if (call.log) {
      var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.textContent = call.log;
      log.hidden = false;
      if (atBottom) log.scrollTop = log.scrollHeight;
    }
    // Late is the server's one rule (its due time), the same as the dashboard's and the report's;
    // a call still queued for a worker is late from its due time on too.
    var late = !!call.late;
    var met = call.status === "succeeded" && !!call.due_at && !late;
    var verdict = node.querySelector(".call-verdict");
    verdict.hidden = !(late || met);
    verdict.textContent = "";
    if (late || met) verdict.appendChild(el("span", late ? "late" : "ok", late ? w.late : w.met));
    var progress = node.querySelector(".progress");
    var shown = call.status === "running" || call.status === "succeeded";
    progress.hidden = !shown;
    if (!shown) return;
    var standard = call.standard_seconds || 0;
    var pct = call.status === "succeeded" ? 100
      : standard ? Math.min(99, 100 * call.elapsed_seconds / standard) : 50;
    var bar = progress.querySelector(".bar");
    bar.querySelector("span").style.width = pct + "%";
    bar.setAttribute("aria-valuenow", String(Math.round(pct)));
    progress.classList.toggle("late", !!late);
    progress.querySelector(".elapsed").textContent = fmt(call.elapsed_seconds, w) +
      (standard ? " " + (late ? w.late : w.of) + " " + fmt(standard, w) : "");
  }

  function renderCase(data) {
    var badge = document.querySelector(".page-head .badge");
    if (badge) {
      badge.textContent = data.instance_status_label;
      badge.className = "badge status-" + data.instance_status;
    }
    var step = document.querySelector(".meta .current-step");
    if (step) {
      step.hidden = !data.current_step;
      if (data.current_step) step.querySelector("strong").textContent = data.current_step;
    }
    var card = document.querySelector(".report-card");
    if (card && data.report && data.report.report_html_url) {
      card.querySelectorAll("a[data-report]").forEach(function (a) {
        var url = data.report[a.dataset.report];
        if (url) { a.href = url; a.hidden = false; }
      });
      card.hidden = false;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.querySelector("[data-calls-url]");
    if (!section) return;
    // data-rendered: the card shows what live.js draws (at once when there is nothing to poll,
    // else after the first answer), for a reader or a test that waits for the page's words.
    if (section.dataset.live !== "1") { section.dataset.rendered = "1"; return; }
    var w = words(section);
    function poll() {
      fetch(section.dataset.callsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) {
          var waiting = section.querySelector(".waiting-worker");
          if (waiting && data.calls.length) waiting.remove();
          data.calls.forEach(function (call) { renderCall(section, call, w); });
          renderCase(data);
          section.dataset.rendered = "1";
          if (data.instance_status === "running") setTimeout(poll, POLL_MS);
          // A failure opens an incident with the administrator's actions: the page shows it.
          else if (data.instance_status === "error") location.reload();
        })
        .catch(function () { setTimeout(poll, 5 * POLL_MS); });
    }
    poll();
  });
})();
