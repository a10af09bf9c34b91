// Wizard enhancements. The form works without them: follow-up questions are then always shown
// with a note saying when they apply, and the verdict panel updates on each save.
(function () {
  "use strict";
  var form = document.getElementById("wizard-form");
  if (!form) return;
  var panel = document.getElementById("live-verdict");

  function answerOf(key) {
    var checked = form.querySelector('input[type="radio"][name="' + key + '"]:checked');
    if (checked) return checked.value;
    return form.querySelector('input[type="radio"][name="' + key + '"]') ? null : undefined;
  }

  // Same grammar as the bank: {question, in|not_in} or {all|any: [...]}.
  // Returns undefined when it depends on a question that is not on this step.
  function holds(condition) {
    if (condition.all || condition.any) {
      var results = (condition.all || condition.any).map(holds);
      if (results.indexOf(undefined) !== -1) return undefined;
      return condition.all ? results.every(Boolean) : results.some(Boolean);
    }
    var answer = answerOf(condition.question);
    if (answer === undefined) return undefined;
    if (answer === null) return false;
    var listed = (condition["in"] || condition.not_in).indexOf(answer) !== -1;
    return condition["in"] ? listed : !listed;
  }

  function toggleFollowUps() {
    form.querySelectorAll("[data-show-if]").forEach(function (block) {
      var shown = holds(JSON.parse(block.getAttribute("data-show-if")));
      if (shown !== undefined) block.hidden = !shown;
    });
  }

  var pending = null;
  function refreshVerdict() {
    if (!panel) return;
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      signal: pending.signal,
    })
      // A redirect means the session ended (the login page): keep the last verdict shown.
      .then(function (response) {
        return response.ok && !response.redirected ? response.text() : null;
      })
      .then(function (html) { if (html !== null) panel.innerHTML = html; })
      .catch(function () { /* keep the last verdict shown; saving still works */ });
  }

  form.addEventListener("change", function (event) {
    if (event.target.type === "radio") {
      toggleFollowUps();
      refreshVerdict();
    }
  });
  toggleFollowUps();
})();
