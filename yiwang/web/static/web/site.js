// Behaviour every page shares, wired here because the Content-Security-Policy runs no inline script
// and no on*= attribute:
//   <select data-autosubmit>            submits its form when changed (a <noscript> button stays the fallback);
//   <form data-confirm="question">      asks before submitting; on a submit button, asks for that button only;
//   <form method="post">                its submit buttons are disabled once it is sent (no double posts);
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

  // A form that posts disables its submit buttons once it is on its way, so a second click sends
  // nothing twice. Not when the submission was stopped (a refused confirmation, htmx sending it
  // itself), and not for forms the offline queue sends (web/offline.js manages their buttons).
  // Disabled only after this event: a disabled submitter would leave its name=value out of the form.
  // A form that answers with a download leaves the page in place: its buttons come back after a while.
  const REENABLE_MS = 8000;
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || form.hasAttribute("data-offline-queue")) return;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post" || (form.target && form.target !== "_self")) return;
    const buttons = Array.from(form.querySelectorAll("button:not([type=button]):not([type=reset]), input[type=submit]"))
      .concat(form.id ? Array.from(document.querySelectorAll("[form=\"" + CSS.escape(form.id) + "\"]")) : [])
      .filter(function (button) { return !button.disabled; });
    window.setTimeout(function () {
      buttons.forEach(function (button) { button.disabled = true; button.dataset.wasEnabled = ""; });
    }, 0);
    window.setTimeout(function () {
      buttons.forEach(function (button) { button.disabled = false; delete button.dataset.wasEnabled; });
    }, REENABLE_MS);
  });
  // Back to a page kept by the browser (the back button): its buttons work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("[data-was-enabled]").forEach(function (button) {
      button.disabled = false;
      delete button.dataset.wasEnabled;
    });
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
