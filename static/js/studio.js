// The questionnaire studio's small enhancements; every page works without them.
(function () {
  "use strict";

  // Filter a long list of checkboxes (framework references) by the words typed.
  document.querySelectorAll("input[data-filter-list]").forEach(function (input) {
    var list = document.getElementById(input.dataset.filterList);
    if (!list) return;
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      list.querySelectorAll("[data-filter-item]").forEach(function (item) {
        var text = item.textContent.toLowerCase();
        var checked = item.querySelector("input:checked");
        item.hidden = !checked && !words.every(function (w) { return text.indexOf(w) !== -1; });
      });
    });
  });

  // Picking a question in the builder shows its choices at once.
  document.querySelectorAll("form.studio-builder").forEach(function (form) {
    var refresh = form.querySelector("button[data-refresh]");
    form.querySelectorAll(".clause-row select[name$='-question']").forEach(function (select) {
      select.addEventListener("change", function () {
        if (refresh) form.requestSubmit(refresh);
      });
    });
  });

  // The weight table's live preview: the examples' scores under the points typed, unsaved.
  var weights = document.getElementById("weights-form");
  if (weights) {
    var rows = document.getElementById("preview-rows");
    var errors = document.getElementById("weights-errors");
    var timer = null;
    var cell = function (text, header) {
      var el = document.createElement(header ? "th" : "td");
      if (header) el.scope = "row";
      el.textContent = text === null || text === undefined ? "–" : String(text);
      return el;
    };
    var update = function () {
      fetch(weights.dataset.previewUrl, {
        method: "POST",
        body: new FormData(weights),
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json();
      }).then(function (data) {
        if (data.errors) {
          var lines = [];
          Object.keys(data.errors).forEach(function (k) { lines = lines.concat(data.errors[k]); });
          errors.textContent = lines.join(" ");
          errors.hidden = false;
          return;
        }
        errors.hidden = true;
        rows.replaceChildren.apply(rows, data.examples.map(function (r) {
          var tr = document.createElement("tr");
          [cell(r.name, true), cell(r.score_before), cell(r.score_after),
           cell(r.verdict_before), cell(r.verdict_after)].forEach(function (c) { tr.appendChild(c); });
          return tr;
        }));
      }).catch(function () { /* the preview button still works */ });
    };
    weights.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 300);
    });
  }
})();
