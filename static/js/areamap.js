/*
 * Area boundary map: the area's outline and its child areas, drawn on a plain background.
 * No tile layer: the app runs without internet access. Data comes from a json_script tag:
 *   {"area": Feature|null, "children": [Feature, ...]}, each Feature's properties carry
 *   id, name, level and url. Clicking a child opens it.
 */
(function () {
  "use strict";
  // Leaflet puts a tooltip's string in as HTML: names typed by people are escaped first.
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#65a30d", "#db2777"];

  function init() {
    var el = document.getElementById("area-map");
    var dataEl = document.getElementById("area-map-data");
    if (!el || !dataEl || typeof L === "undefined") {
      return;
    }
    var data = JSON.parse(dataEl.textContent);
    var map = L.map(el, {
      attributionControl: false,
      zoomSnap: 0.25,
      scrollWheelZoom: false, // a phone user scrolling the page must not get stuck in the map
    });
    var bounds = L.latLngBounds([]);

    if (data.area) {
      var outline = L.geoJSON(data.area, {
        interactive: false,
        style: { color: "#334155", weight: 2, dashArray: "6 4", fill: true, fillColor: "#e2e8f0", fillOpacity: 0.35 },
      }).addTo(map);
      bounds.extend(outline.getBounds());
    }

    (data.children || []).forEach(function (feature, index) {
      var color = PALETTE[index % PALETTE.length];
      var layer = L.geoJSON(feature, {
        style: { color: color, weight: 1.5, fillColor: color, fillOpacity: 0.25 },
      });
      layer.eachLayer(function (shape) {
        shape.bindTooltip(esc(feature.properties.name), { sticky: true });
        shape.on("mouseover", function () {
          shape.setStyle({ fillOpacity: 0.5, weight: 3 });
        });
        shape.on("mouseout", function () {
          layer.resetStyle(shape);
        });
        shape.on("click", function () {
          window.location.href = feature.properties.url;
        });
        shape.on("keypress", function (event) {
          if (event.originalEvent && event.originalEvent.key === "Enter") {
            window.location.href = feature.properties.url;
          }
        });
      });
      layer.addTo(map);
      bounds.extend(layer.getBounds());
    });

    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [12, 12] });
    } else {
      el.hidden = true;
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
