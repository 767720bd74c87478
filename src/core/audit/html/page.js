// gitgrant audit page: filters and hover text of `audit --format html` (src/core/audit/html.rs).
// Reads only the page's own DOM; user text is shown with textContent, never parsed as HTML.
(function () {
  "use strict";
  var byId = function (id) { return document.getElementById(id); };
  var rows = Array.prototype.slice.call(document.querySelectorAll("#requests tbody tr"));
  var bars = Array.prototype.slice.call(document.querySelectorAll("#timeline .bar"));
  var status = byId("f-status"), user = byId("f-user"), account = byId("f-account");
  var query = byId("q"), shown = byId("shown"), tip = byId("tip");
  var textOf = function (el) { return (el.getAttribute("data-tip") || el.textContent).toLowerCase(); };
  var texts = new Map();
  rows.concat(bars).forEach(function (el) { texts.set(el, textOf(el)); });
  function matches(el) {
    var q = query.value.trim().toLowerCase();
    return (!status.value || el.getAttribute("data-status") === status.value) &&
      (!user.value || el.getAttribute("data-user") === user.value) &&
      (!account.value || el.getAttribute("data-account") === account.value) &&
      (!q || texts.get(el).indexOf(q) !== -1);
  }
  function apply() {
    var n = 0;
    rows.forEach(function (el) { var m = matches(el); el.classList.toggle("off", !m); if (m) { n += 1; } });
    bars.forEach(function (el) { el.classList.toggle("off", !matches(el)); });
    shown.textContent = n + " of " + rows.length + " request(s)";
  }
  [status, user, account].forEach(function (el) { el.addEventListener("change", apply); });
  query.addEventListener("input", apply);
  byId("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  function show(el, x, y) {
    var text = el && el.getAttribute("data-tip");
    if (!text) { tip.hidden = true; return; }
    tip.textContent = text;
    tip.hidden = false;
    tip.style.left = (x + 14) + "px";
    tip.style.top = (y + 14) + "px";
  }
  document.addEventListener("mouseover", function (e) {
    show(e.target.closest ? e.target.closest("[data-tip]") : null, e.pageX, e.pageY);
  });
  document.addEventListener("mousemove", function (e) {
    if (!tip.hidden) { tip.style.left = (e.pageX + 14) + "px"; tip.style.top = (e.pageY + 14) + "px"; }
  });
  document.addEventListener("focusin", function (e) {
    var box = e.target.getBoundingClientRect();
    show(e.target.closest("[data-tip]"), box.left + window.scrollX, box.bottom + window.scrollY);
  });
  apply();
}());
