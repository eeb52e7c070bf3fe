// The case page map: the case's area outline and its pin, on a plain background (no tiles).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("case-map-data").textContent);
  var map = L.map("case-map", { attributionControl: false });
  var bounds = null;
  if (data.boundary) {
    var outline = L.geoJSON(data.boundary, { style: { color: "#2563eb", weight: 2, fillOpacity: 0.06 } }).addTo(map);
    bounds = outline.getBounds();
  }
  if (data.lat !== null && data.lng !== null) {
    L.marker([data.lat, data.lng]).addTo(map);
    if (!bounds) { map.setView([data.lat, data.lng], 16); }
  }
  if (bounds) { map.fitBounds(bounds, { padding: [10, 10] }); }
  else if (data.lat === null) { map.setView([40.6, 109.9], 11); }
})();
