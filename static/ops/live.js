// The cockpit's live figures (docs/ops.md): ask the server for the figures' HTML every few
// seconds and swap it in. Paused while the tab is hidden; one request at a time.
(function () {
  "use strict";
  var box = document.getElementById("ops-live");
  if (!box) return;
  var url = box.dataset.url;
  var every = parseInt(box.dataset.pollMs, 10) || 2000;
  var stale = document.getElementById("ops-stale");
  var timer = null;
  var inFlight = false;

  function schedule() {
    clearTimeout(timer);
    if (!document.hidden) timer = setTimeout(refresh, every);
  }

  function refresh() {
    if (inFlight) return;
    inFlight = true;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" }, redirect: "error" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        box.innerHTML = html;
        if (stale) stale.hidden = true;
      })
      .catch(function () {
        if (stale) stale.hidden = false;
      })
      .finally(function () {
        inFlight = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) clearTimeout(timer);
    else refresh();
  });
  schedule();
})();
