// On every page: register the service worker (/sw.js, scope "/"), never keep another user's pages,
// and, for a signed-in user, show "待上传 N" and upload the offline drafts when the connection
// returns (the `online` event) and on page load. A failed upload never loses a draft: network and
// server failures keep it for the next try; field errors (400/409) keep it with the errors to fix
// on the report form.
(function () {
  "use strict";
  var user = document.body.getAttribute("data-user") || "";
  var PAGES = "gov-pages";

  function forgetPages() {
    if (window.caches) { return caches["delete"](PAGES).catch(function () {}); }
    return Promise.resolve();
  }

  try {
    if (window.localStorage.getItem("gov-user") !== user) {
      forgetPages();
      window.localStorage.setItem("gov-user", user);
    }
  } catch (e) { /* storage refused: the worker still serves pages network first */ }
  document.querySelectorAll('form[action$="/logout/"]').forEach(function (form) {
    form.addEventListener("submit", function () { forgetPages(); });
  });

  if ("serviceWorker" in navigator) {
    // With poor signal the first registration can fail (the worker script did not arrive): try
    // again a little later, a few times, rather than waiting for the next page.
    var attempts = 0;
    (function register() {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
        attempts += 1;
        if (attempts < 5) { window.setTimeout(register, 5000 * attempts); }
      });
    })();
  }

  var badge = document.querySelector("[data-testid=drafts-badge]");
  if (!user || !window.GovDrafts || !badge) { return; }
  var count = badge.querySelector("[data-drafts-count]");

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function refresh() {
    return window.GovDrafts.all(user).then(function (list) {
      badge.hidden = list.length === 0;
      count.textContent = String(list.length);
      document.dispatchEvent(new CustomEvent("gov:drafts", { detail: list }));
      return list;
    });
  }

  function announce(text) {
    var main = document.querySelector("main.page");
    if (!main || !text) { return; }
    var box = main.querySelector("ul.messages");
    if (!box) {
      box = document.createElement("ul");
      box.className = "messages";
      main.insertBefore(box, main.firstChild);
    }
    var li = document.createElement("li");
    li.className = "msg msg-success";
    li.setAttribute("role", "status");
    li.setAttribute("data-testid", "drafts-uploaded");
    li.textContent = text;
    box.appendChild(li);
  }

  var busy = null;
  function uploadAll() {
    if (busy) { return busy; }
    if (!navigator.onLine) { return refresh(); }
    var sent = [];
    busy = window.GovDrafts.all(user).then(function (list) {
      return list.filter(function (d) { return !d.errors; }).reduce(function (chain, draft) {
        return chain.then(function () {
          return window.GovDrafts.upload(draft, csrfToken()).then(function (result) {
            if (result.status === 200 || result.status === 201) {
              sent.push(result.body.number);
              return window.GovDrafts.remove(draft.key);
            }
            if (result.status === 400 || result.status === 409) {
              draft.errors = result.body;
              return window.GovDrafts.save(draft);
            }
            return null; // signed out, forbidden or a server failure: keep it as it is for the next try
          }, function () { return null; }); // no signal after all: keep it
        });
      }, Promise.resolve());
    }).then(function () {
      if (sent.length) { announce((badge.getAttribute("data-uploaded") || "") + " " + sent.join("、")); }
    }).catch(function () {}).then(function () {
      busy = null;
      return refresh();
    });
    return busy;
  }

  window.addEventListener("online", uploadAll);
  window.addEventListener("offline", refresh);
  window.GovDraftsUI = { user: user, refresh: refresh, uploadAll: uploadAll };
  uploadAll();
})();

// A form that failed to submit shows an error summary at the top: bring it into view and focus.
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }
})();
