// The base map under every Leaflet map: the intranet tile server when settings.MAP_TILE_URL names one,
// and the generated streets, buildings and landmarks (GET /api/v1/map-features/?bbox=…) as a vector
// layer under the pins. Config comes from {% map_config %} (a json_script tag). window.GovBasemap.attach(map).
(function () {
  "use strict";
  // Leaflet puts a tooltip's string in as HTML: names typed by people are escaped first.
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var STYLE = {
    street: { color: "#94a3b8", weight: 5, opacity: 0.9, lineCap: "round" },
    building: { color: "#b45309", weight: 1, fillColor: "#fcd9a8", fillOpacity: 0.85 },
  };
  var MIN_VECTOR_ZOOM = 13;
  var STEP = 0.01;

  function config() {
    var el = document.getElementById("map-config");
    return el ? JSON.parse(el.textContent) : {};
  }

  function snap(bounds) {
    var w = Math.floor(bounds.getWest() / STEP) * STEP, s = Math.floor(bounds.getSouth() / STEP) * STEP;
    var e = Math.ceil(bounds.getEast() / STEP) * STEP, n = Math.ceil(bounds.getNorth() / STEP) * STEP;
    return [w, s, e, n].map(function (v) { return v.toFixed(2); }).join(",");
  }

  function attach(map) {
    var cfg = config();
    if (cfg.tileUrl) {
      var options = { attribution: cfg.attribution || "", minZoom: cfg.minZoom, maxZoom: cfg.maxZoom };
      if (cfg.subdomains) { options.subdomains = cfg.subdomains.split(","); }
      L.tileLayer(cfg.tileUrl, options).addTo(map);
      if (cfg.attribution && !map.attributionControl) { L.control.attribution({ prefix: false }).addTo(map); }
    }
    if (cfg.maxZoom) { map.setMaxZoom(cfg.maxZoom); }
    if (!cfg.featuresUrl) { return; }
    map.createPane("basemap");
    map.getPane("basemap").style.zIndex = 350; // under the outlines (400) and the pin (600)
    var renderer = L.svg({ pane: "basemap" });
    var layer = L.geoJSON(null, {
      pane: "basemap",
      renderer: renderer,
      interactive: false,
      style: function (f) { return STYLE[f.properties.kind] || STYLE.building; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {
          pane: "basemap", renderer: renderer, radius: 5, color: "#7c2d12", weight: 2, fillColor: "#f97316", fillOpacity: 1,
        });
      },
      onEachFeature: function (f, l) {
        if (f.properties.kind === "landmark" || f.properties.kind === "street") {
          l.bindTooltip(esc(f.properties.name), {
            permanent: f.properties.kind === "landmark", direction: "top", className: "map-label map-label-" + f.properties.kind,
          });
        }
      },
    }).addTo(map);
    var loaded = "";
    function load() {
      if (map.getZoom() < MIN_VECTOR_ZOOM) { layer.clearLayers(); loaded = ""; return; }
      var bbox = snap(map.getBounds());
      if (bbox === loaded) { return; }
      fetch(cfg.featuresUrl + "?bbox=" + bbox, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw r; } return r.json(); })
        .then(function (data) {
          loaded = bbox;
          layer.clearLayers();
          layer.addData(data);
          map.getContainer().setAttribute("data-basemap-features", String(data.features.length));
        })
        .catch(function () { /* offline with nothing cached: the outlines still show */ });
    }
    map.on("moveend zoomend", load);
    if (map._loaded) { load(); } else { map.whenReady(load); }
  }

  window.GovBasemap = { attach: attach };
})();
