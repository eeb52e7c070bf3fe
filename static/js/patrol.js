/*
 * The patrol page: the grid outline and the track on a Leaflet map and, while the worker's own
 * patrol is open, the phone's position (navigator.geolocation.watchPosition) sent in batches.
 * Data comes from the json_script tag "patrol-data":
 *   {"grid": GeoJSON|null, "track": [[lat, lng], ...], "recording": bool, "trackUrl": "...", "text": {...}}
 * Points wait in memory (and sessionStorage) until a batch is accepted, so a lost connection
 * only delays them; the server ignores a point it already has.
 */
(function () {
  "use strict";

  var SEND_EVERY_MS = 30000;
  var MIN_GAP_MS = 15000; // one fix every 15 s at most
  var BATCH = 20;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function init() {
    var el = document.getElementById("patrol-map");
    var dataEl = document.getElementById("patrol-data");
    if (!el || !dataEl) {
      return;
    }
    var data = JSON.parse(dataEl.textContent);
    var status = document.getElementById("track-status");
    var map = null;
    var line = null;
    if (typeof L !== "undefined") {
      map = L.map(el, { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: false });
      var track = data.track || [];
      var outline = data.grid
        ? L.geoJSON(data.grid, {
            interactive: false,
            style: { color: "#334155", weight: 2, dashArray: "6 4", fillColor: "#e2e8f0", fillOpacity: 0.3 },
          })
        : null;
      // The view first: Leaflet cannot draw vector layers on a map that has none yet.
      var bounds = outline ? outline.getBounds() : L.latLngBounds([]);
      track.forEach(function (p) {
        bounds.extend(p);
      });
      if (bounds.isValid()) {
        map.fitBounds(bounds, { padding: [12, 12] });
      } else {
        map.setView([40.6, 109.9], 12);
      }
      if (outline) {
        outline.addTo(map);
      }
      line = L.polyline(track, { color: "#2563eb", weight: 4 }).addTo(map);
      if (track.length) {
        L.circleMarker(track[0], { radius: 6, color: "#16a34a" }).addTo(map);
      }
    }
    if (!data.recording || !data.trackUrl) {
      return;
    }

    var storageKey = "patrol-points:" + data.trackUrl;
    var pending = [];
    try {
      pending = JSON.parse(window.sessionStorage.getItem(storageKey) || "[]");
    } catch (e) {
      pending = [];
    }
    var count = (data.track || []).length;
    var lastAt = 0;
    var sending = false;

    function save() {
      try {
        window.sessionStorage.setItem(storageKey, JSON.stringify(pending));
      } catch (e) {
        /* storage full or disabled: points stay in memory */
      }
    }

    function show() {
      if (status) {
        status.textContent = data.text.points + count + (pending.length ? " (+" + pending.length + ")" : "");
      }
    }

    function send() {
      if (sending || !pending.length || !navigator.onLine) {
        return Promise.resolve();
      }
      sending = true;
      var batch = pending.slice(0, 200);
      return fetch(data.trackUrl, {
        method: "POST",
        credentials: "same-origin",
        keepalive: true,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ points: batch }),
      })
        .then(function (response) {
          if (response.ok || response.status === 400) {
            // Accepted, or refused for good (bad points): either way these leave the queue.
            pending = pending.slice(batch.length);
            if (response.ok) {
              count += batch.length;
            }
            save();
          } else if (response.status === 409 || response.status === 403) {
            pending = [];
            save();
          }
        })
        .catch(function () {
          /* offline: try again later */
        })
        .then(function () {
          sending = false;
          show();
        });
    }

    function onPosition(position) {
      var now = Date.now();
      if (now - lastAt < MIN_GAP_MS) {
        return;
      }
      lastAt = now;
      var point = {
        lat: position.coords.latitude,
        lng: position.coords.longitude,
        accuracy: position.coords.accuracy,
        at: new Date(position.timestamp || now).toISOString(),
      };
      pending.push(point);
      save();
      if (line) {
        line.addLatLng([point.lat, point.lng]);
      }
      show();
      if (pending.length >= BATCH) {
        send();
      }
    }

    function onError() {
      if (status) {
        status.textContent = data.text.noGeo;
      }
    }

    if ("geolocation" in navigator) {
      navigator.geolocation.watchPosition(onPosition, onError, {
        enableHighAccuracy: true,
        maximumAge: 10000,
        timeout: 60000,
      });
    } else {
      onError();
    }
    window.setInterval(send, SEND_EVERY_MS);
    window.addEventListener("online", send);
    // Send what is waiting before the worker leaves the page (visit form, report form, end).
    window.addEventListener("pagehide", send);
    // Ending the patrol: the last points go first, or the closed patrol would refuse them.
    document.querySelectorAll("[data-testid=end-patrol-form]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!pending.length || form.dataset.flushed) {
          return;
        }
        event.preventDefault();
        form.dataset.flushed = "1";
        send().then(function () {
          form.submit();
        });
      });
    });
    show();
    send();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
