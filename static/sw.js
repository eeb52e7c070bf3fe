/*
 * The service worker, served at /sw.js with scope "/" by governance/pwa.py, which puts its
 * configuration in front of this file as `self.GOV` (shell URLs, version, the pages to keep).
 *
 * - The app shell (CSS, JS, Leaflet, icons) is cached at install: cache first.
 * - The grid worker's pages (home, report form, own case list) and the base map's GeoJSON: network
 *   first, the last copy when there is no signal; other pages fall back to the offline page. Pages
 *   are kept as the worker opens them (home right after login): the worker makes no requests of its
 *   own in the background, so it never competes with the page for a weak signal.
 * - Pages are kept in one cache that pwa.js clears at logout and whenever another user logs in,
 *   so one user never sees another's pages.
 * - A report POSTed from the form that cannot reach the server is kept as a draft (drafts.js) and
 *   the worker answers with the form again, which shows the waiting draft.
 */
/* global GovDrafts */
"use strict";

var CFG = self.GOV;
importScripts(CFG.drafts);

var SHELL = "gov-shell-" + CFG.version;
var PAGES = "gov-pages";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL).then(function (cache) {
      // One by one: a file that cannot be fetched now is cached later, when a page asks for it.
      return Promise.all(CFG.shell.concat([CFG.offline]).map(function (url) {
        return cache.add(url).catch(function () { return null; });
      }));
    })
  );
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("gov-shell-") === 0 && k !== SHELL; })
        .map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function isPage(url) {
  return CFG.pages.indexOf(url.pathname) !== -1;
}

function isCachedApi(url) {
  return CFG.cached_api.some(function (prefix) { return url.pathname.indexOf(prefix) === 0; });
}

function fromPages(url) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(url.href).then(function (hit) {
      return hit || (isPage(url) ? cache.match(url.href, { ignoreSearch: true }) : undefined);
    });
  });
}

function networkFirst(request, url, fallback) {
  return fetch(request).then(function (response) {
    if (keepable(response)) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { return cache.put(url.href, copy); });
    }
    return response;
  }).catch(function (error) {
    return fromPages(url).then(function (hit) {
      if (hit) { return hit; }
      if (fallback) { return caches.match(CFG.offline); }
      throw error;
    });
  });
}

function saveFailedReport(request) {
  return request.formData().then(function (data) {
    return GovDrafts.fromFormData(data, data.get("_draft_user") || "");
  }).then(GovDrafts.save).then(function () {
    return Response.redirect(new URL(CFG.report + "?draft=saved", self.location.origin).href, 303);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }

  if (request.method === "POST") {
    if (request.mode === "navigate" && url.pathname === CFG.report) {
      var copy = request.clone();
      event.respondWith(fetch(request).catch(function () { return saveFailedReport(copy); }));
    }
    return;
  }
  if (request.method !== "GET") { return; }

  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (keepable(response)) {
          var copy = response.clone();
          caches.open(SHELL).then(function (cache) { return cache.put(request, copy); });
        }
        return response;
      });
    }));
    return;
  }
  if (request.mode === "navigate") {
    if (isPage(url)) {
      event.respondWith(networkFirst(request, url, true));
    } else {
      event.respondWith(fetch(request).catch(function () { return caches.match(CFG.offline); }));
    }
    return;
  }
  if (isCachedApi(url)) {
    event.respondWith(networkFirst(request, url, false));
  }
});
