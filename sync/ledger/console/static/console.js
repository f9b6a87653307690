// The console's only script of its own: asks before an action that cannot be undone
// (forms with data-confirm), and puts the keyboard focus on a message htmx swapped in.
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    ev.preventDefault();
  }
}, true);
document.addEventListener("htmx:afterSwap", function (ev) {
  var alert = ev.detail.target.querySelector && ev.detail.target.querySelector("[role=alert]");
  if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
});
