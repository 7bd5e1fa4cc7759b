// Behaviour every page shares, wired here because the Content-Security-Policy runs no inline script
// and no on*= attribute:
//   <select data-autosubmit>            submits its form when changed (a <noscript> button stays the fallback);
//   <form data-confirm="question">      asks before submitting; on a submit button, asks for that button only;
//   <… data-width="42">                 sets the element's width to 42 % (progress bars: inline style attributes
//                                        are refused by the policy, a style set from script is not).
// Listeners sit on the document, so parts swapped in by htmx behave the same without re-wiring.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    const select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-autosubmit") && select.form) {
      select.form.submit();
    }
  });

  // A click on a submit button that carries its own question answers for it; the form's own
  // question (if any) is then not asked a second time.
  let answeredBy = null;
  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest("button[data-confirm], input[type=submit][data-confirm]") : null;
    if (!button) return;
    if (!window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    answeredBy = button;
  });
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const submitter = event.submitter || null;
    const answered = submitter !== null && submitter === answeredBy;
    answeredBy = null;
    if (answered || !(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  function widths(root) {
    root.querySelectorAll("[data-width]").forEach(function (node) {
      const value = parseFloat(node.dataset.width);
      if (!Number.isNaN(value)) node.style.width = Math.max(0, Math.min(100, value)) + "%";
    });
  }
  widths(document);
  document.addEventListener("htmx:load", function (event) { widths(event.target); });
})();
