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
      .then(function (html) {
        if (html === null) return;
        // keep the details open if the reader opened them (phones show them on demand)
        var details = panel.querySelector("details");
        var open = details !== null && details.open;
        panel.innerHTML = html;
        details = panel.querySelector("details");
        if (open && details !== null) details.open = true;
      })
      .catch(function () { /* keep the last verdict shown; saving still works */ });
  }

  form.addEventListener("change", function (event) {
    if (event.target.type === "radio") {
      toggleFollowUps();
      refreshVerdict();
    }
  });
  toggleFollowUps();

  // --- No lost work -------------------------------------------------------------------------
  // The step's own buttons save it (they submit this form). Any other way out (a link in the
  // navigation bar, a report link, "Sign out") first saves the step through the same POST,
  // with its CSRF token and version, then goes on. Closing the tab with changes not saved asks
  // first (the browser's own "Leave site?" prompt).
  function snapshot() {
    var parts = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && name !== "version") parts.push(name + "=" + value);
    });
    return parts.join("&");
  }

  var saved = snapshot();
  // A step shown again after a refused save holds answers that are not saved yet.
  var unsavedOnArrival = form.hasAttribute("data-unsaved");
  var leaving = false;

  function dirty() {
    return !leaving && (unsavedOnArrival || snapshot() !== saved);
  }

  // Save through the step's POST, staying on this step ("goto" it); resolves true when the
  // server answered with its redirect back to the step, i.e. the answers are stored.
  function save() {
    var data = new FormData(form);
    data.append("goto", form.getAttribute("data-step"));
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        return response.ok && response.redirected &&
          new URL(response.url).pathname === new URL(form.action).pathname;
      })
      .catch(function () { return false; });
  }

  // When the save is refused (someone else saved, an answer needs attention, the database is
  // away), show why the normal way: submit the form to this step, as without JavaScript.
  function showWhyNotSaved() {
    leaving = true;
    var goto = document.createElement("input");
    goto.type = "hidden";
    goto.name = "goto";
    goto.value = form.getAttribute("data-step");
    form.appendChild(goto);
    form.submit();
  }

  var saving = false;
  function saveThen(go) {
    if (saving) return; // one save at a time: a second would carry a spent version
    saving = true;
    document.body.setAttribute("aria-busy", "true");
    save().then(function (stored) {
      if (stored) {
        leaving = true;
        go();
      } else {
        showWhyNotSaved();
      }
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || !dirty() || event.defaultPrevented) return;
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return; // a new tab or window: this page stays open with its answers
    }
    var url = new URL(link.href, window.location.href);
    if (link.target || url.origin !== window.location.origin) return;
    if (url.pathname === window.location.pathname && url.hash) return; // a jump on this page
    event.preventDefault();
    saveThen(function () { window.location.assign(url.href); });
  });

  document.addEventListener("submit", function (event) {
    if (saving) {
      event.preventDefault(); // the page is already saving and leaving
      return;
    }
    if (event.target === form) {
      leaving = true; // the step's own buttons save it
      return;
    }
    if (!dirty()) return;
    var other = event.target;
    event.preventDefault();
    saveThen(function () { other.submit(); });
  });

  window.addEventListener("beforeunload", function (event) {
    if (!dirty()) return;
    event.preventDefault();
    event.returnValue = "";
  });
  // Back from the browser's cache: the page is live again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) leaving = false;
  });
})();
