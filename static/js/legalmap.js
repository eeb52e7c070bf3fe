/*
 * Service points (法官工作站, 联系点, 共享法庭, terminals, stations) on a plain map, no tile layer.
 * Data from the json_script tag "legal-map-data": [{name, kind, kind_display, lat, lng}, ...].
 */
(function () {
  "use strict";
  // Leaflet puts a tooltip's string in as HTML: names typed by people are escaped first.
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var COLOURS = {
    judge_workstation: "#dc2626",
    contact_point: "#2563eb",
    shared_court: "#9333ea",
    terminal: "#16a34a",
    station: "#d97706",
  };

  function init() {
    var el = document.getElementById("legal-map");
    var dataEl = document.getElementById("legal-map-data");
    if (!el || !dataEl || typeof L === "undefined") {
      return;
    }
    var points = JSON.parse(dataEl.textContent);
    var map = L.map(el, { attributionControl: false, scrollWheelZoom: false });
    var bounds = L.latLngBounds([]);
    points.forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lng], {
        radius: 6,
        color: COLOURS[p.kind] || "#334155",
        weight: 2,
        fillOpacity: 0.7,
      }).addTo(map);
      marker.bindTooltip(esc(p.name) + " · " + esc(p.kind_display));
      bounds.extend([p.lat, p.lng]);
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds.pad(0.1));
    } else {
      map.setView([40.6, 109.9], 10);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
