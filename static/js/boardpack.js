// A board pack's page: while it is generated, ask for its status every 1.5 s and move the
// progress bar; reload once it is done or failed, so the page shows the download or the reason.
(function () {
  "use strict";
  var box = document.getElementById("boardpack-progress");
  if (!box) return;
  var working = ["queued", "running"];
  if (working.indexOf(box.dataset.generation) < 0) return;
  var bar = document.getElementById("progress-bar");
  var label = document.getElementById("progress-label");
  var text = document.getElementById("progress-text");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (state) {
        if (working.indexOf(state.generation) < 0) {
          window.location.reload();
          return;
        }
        var step = state.step || "Waiting for a worker";
        bar.value = state.progress;
        bar.textContent = state.progress + "%";
        label.textContent = step;
        text.textContent = state.progress + "% · " + step;
        window.setTimeout(poll, 1500);
      })
      .catch(function () {
        window.setTimeout(poll, 5000); // the server is busy or restarting: ask less often
      });
  }
  window.setTimeout(poll, 1500);
})();
