// The export page: asks for the job's progress every second and shows it in place (the
// status line is a live region, so a screen reader hears each stage), then the download
// link or the reason it stopped. Without JavaScript the page says to reload it.
(function () {
  "use strict";
  var box = document.getElementById("export-progress");
  if (!box || box.hasAttribute("data-finished")) return;
  var url = box.getAttribute("data-status-url");
  var lastStage = null;

  function show(state) {
    var text = document.getElementById("export-text");
    if (state.stage !== lastStage) {
      // Only a new stage is announced; a moving percentage alone would be chatter.
      document.getElementById("export-label").textContent = state.label;
      text.textContent = state.stage;
      lastStage = state.stage;
    }
    document.getElementById("export-percent").textContent = state.percent;
    var bar = document.getElementById("export-bar");
    bar.value = state.percent;
    bar.textContent = state.percent + "%";
    if (state.status === "failed") {
      document.getElementById("export-message").textContent = state.message;
      document.getElementById("export-failed").hidden = false;
    }
    if (state.download_url) {
      document.getElementById("export-download").href = state.download_url;
      document.getElementById("export-ready").hidden = false;
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (!state.finished) window.setTimeout(poll, 1000);
      })
      .catch(function () {
        // Signed out or offline: try less often rather than give up.
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 500);
})();
