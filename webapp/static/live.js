// Live output of a running service step (the deployment): poll every 2 s while it runs.
(function () {
  "use strict";
  function fmt(seconds) {
    var m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
    return m + " m " + (s < 10 ? "0" : "") + s + " d";
  }
  function render(section, data) {
    data.calls.forEach(function (call) {
      var el = section.querySelector('[data-call-id="' + call.id + '"]');
      if (!el) { location.reload(); return; }
      el.className = "call status-" + call.status;
      var log = el.querySelector("pre.log");
      if (call.log) {
        var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
        log.textContent = call.log;   // text, never HTML: output is untrusted
        log.hidden = false;
        if (atBottom) log.scrollTop = log.scrollHeight;
      }
      var progress = el.querySelector(".progress");
      if (call.status === "running") {
        progress.hidden = false;
        var standard = call.standard_seconds || 1800;
        var pct = Math.min(100, 100 * call.elapsed_seconds / standard);
        progress.querySelector(".bar span").style.width = pct + "%";
        progress.classList.toggle("late", call.elapsed_seconds > standard);
        progress.querySelector(".elapsed").textContent =
          fmt(call.elapsed_seconds) + " / " + fmt(standard);
      } else {
        progress.hidden = true;
      }
      el.querySelector(".call-status").textContent = call.status;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var section = document.querySelector("[data-calls-url]");
    if (!section) return;
    var wasRunning = section.dataset.live === "1";
    function poll() {
      fetch(section.dataset.callsUrl, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          render(section, data);
          var running = data.calls.some(function (c) { return c.status === "running" || c.status === "queued"; });
          if (running) { wasRunning = true; setTimeout(poll, 2000); }
          else if (wasRunning) { location.reload(); }  // finished: show the report or the incident
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    if (wasRunning) poll();
  });
})();
