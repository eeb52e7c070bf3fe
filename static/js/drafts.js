// Offline drafts of the report form, kept in IndexedDB, for the pages (pwa.js, caseform.js) and the
// service worker (sw.js) alike: window.GovDrafts / self.GovDrafts.
// A draft is {key, user, created, fields: [[name, value]], files: [{field, name, type, data}], errors}.
// Its key is its Idempotency-Key: every upload of the same draft sends it, so a flaky connection
// never makes two cases. Photos are kept as ArrayBuffers (storable everywhere, incognito included).
(function (root) {
  "use strict";
  var DB_NAME = "gov-drafts";
  var STORE = "drafts";

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = root.indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function run(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var req = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(req ? req.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function newKey() {
    if (root.crypto && root.crypto.randomUUID) { return "draft-" + root.crypto.randomUUID(); }
    return "draft-" + Date.now() + "-" + Math.random().toString(16).slice(2);
  }

  // FormData (from a <form> or a POSTed request) → a draft; files are read into memory.
  function fromFormData(data, user) {
    var fields = [];
    var reads = [];
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || name.charAt(0) === "_") { return; }
      if (typeof value === "string") {
        if (value !== "") { fields.push([name, value]); }
      } else if (value && value.size > 0) {
        reads.push(value.arrayBuffer().then(function (buffer) {
          return { field: name, name: value.name || "photo", type: value.type || "application/octet-stream", data: buffer };
        }));
      }
    });
    return Promise.all(reads).then(function (files) {
      return { key: newKey(), user: String(user || ""), created: Date.now(), fields: fields, files: files, errors: null };
    });
  }

  function toFormData(draft) {
    var data = new FormData();
    draft.fields.forEach(function (f) { data.append(f[0], f[1]); });
    draft.files.forEach(function (f) { data.append(f.field, new Blob([f.data], { type: f.type }), f.name); });
    return data;
  }

  function save(draft) { return run("readwrite", function (s) { return s.put(draft); }).then(function () { return draft; }); }
  function remove(key) { return run("readwrite", function (s) { return s["delete"](key); }); }
  function all(user) {
    return run("readonly", function (s) { return s.getAll(); }).then(function (list) {
      return (list || []).filter(function (d) { return d.user === String(user); })
        .sort(function (a, b) { return a.created - b.created; });
    });
  }

  // POST the draft to the API under its key: resolves {status, body}; rejects when the network fails.
  function upload(draft, csrfToken) {
    return fetch("/api/v1/cases/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Idempotency-Key": draft.key, "X-CSRFToken": csrfToken || "", Accept: "application/json" },
      body: toFormData(draft),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  root.GovDrafts = {
    newKey: newKey, fromFormData: fromFormData, toFormData: toFormData,
    save: save, remove: remove, all: all, upload: upload,
  };
})(typeof self !== "undefined" ? self : window);
