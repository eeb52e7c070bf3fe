// Behaviour shared by every page (no inline script: the Content-Security-Policy forbids it).
(function () {
  // A <select data-autosubmit> submits its form on change (the language switch in the header).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
