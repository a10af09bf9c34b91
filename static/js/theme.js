// Bootstrap 5.3 colour modes: follow the system's light or dark setting, before the first paint
// (loaded in <head>, not deferred) and whenever the setting changes.
(function () {
  "use strict";
  var query = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function apply() {
    document.documentElement.setAttribute(
      "data-bs-theme", query && query.matches ? "dark" : "light"
    );
  }
  apply();
  if (query && query.addEventListener) query.addEventListener("change", apply);
})();
