// Runs before anything is drawn (a classic script in <head>, so the strict Content-Security-Policy
// needs no inline script): the language kept from a previous visit, and the skip link's focus.
(function () {
  try {
    var kept = localStorage.getItem("imwu.lang");
    if (kept === "en" || kept === "fr") document.documentElement.lang = kept;
  } catch (e) {
    // Storage may be disabled; the page then starts in the browser's language.
  }
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest(".skip-link") : null;
    if (!link) return;
    event.preventDefault();
    var main = document.getElementById("main");
    if (main) main.focus();
  });
})();
