// The report progress page: ask every 2 s whether the report exists yet; open it as soon as it does.
(function () {
  var box = document.getElementById("report-progress");
  var message = document.getElementById("report-progress-message");
  if (!box) { return; }
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (status) {
        if (status.ready && status.url) { window.location.assign(status.url); } else { setTimeout(poll, 2000); }
      })
      .catch(function () { message.textContent = box.dataset.failed; setTimeout(poll, 2000); });
  }
  setTimeout(poll, 2000);
})();
