// Intake form: drop a pin (or use the phone's location), show the grid it routes to and
// possible duplicates nearby. No tile layer: the district runs on an intranet.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var text = data.text;
  var latInput = document.getElementById("id_lat");
  var lngInput = document.getElementById("id_lng");
  var categoryInput = document.getElementById("id_category");
  var routed = document.getElementById("routed");
  var map = L.map("pick-map", { attributionControl: false, zoomSnap: 0.25 });
  var marker = null;
  if (data.boundary) {
    var outline = L.geoJSON(data.boundary, { style: { color: "#2563eb", weight: 2, fillOpacity: 0.05 } }).addTo(map);
    map.fitBounds(outline.getBounds());
  } else if (data.center) {
    map.setView([data.center.lat, data.center.lng], 13);
  } else {
    map.setView([40.6, 109.9], 11);
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw r; }
      return r.json();
    });
  }

  function showDuplicates() {
    var box = document.getElementById("duplicates");
    var list = document.getElementById("duplicate-list");
    if (!data.duplicates_url || !latInput.value || !categoryInput.value) { box.hidden = true; return; }
    var url = data.duplicates_url + "?category=" + encodeURIComponent(categoryInput.value) +
      "&lat=" + latInput.value + "&lng=" + lngInput.value;
    getJSON(url).then(function (items) {
      list.innerHTML = "";
      items.forEach(function (c) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = "/cases/" + c.id + "/";
        a.textContent = c.number + " " + (c.title || c.category_name) + " · " + c.status_display;
        li.appendChild(a);
        list.appendChild(li);
      });
      box.hidden = items.length === 0;
    }).catch(function () { box.hidden = true; });
  }

  function place(lat, lng) {
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    if (marker) { marker.setLatLng([lat, lng]); } else { marker = L.marker([lat, lng]).addTo(map); }
    if (!data.locate_url) { routed.textContent = text.placed || ""; routed.className = "routed ok"; return; }
    getJSON(data.locate_url + "?lat=" + lat + "&lng=" + lng).then(function (area) {
      var names = (area.ancestors || []).map(function (a) { return a.name; });
      names.push(area.name);
      routed.textContent = text.routed + names.slice(1).join(" / ");
      routed.className = "routed ok";
    }).catch(function () {
      routed.textContent = text.outside;
      routed.className = "routed bad";
    });
    showDuplicates();
  }

  map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng); });
  categoryInput.addEventListener("change", showDuplicates);
  document.getElementById("use-location").addEventListener("click", function () {
    if (!navigator.geolocation) { routed.textContent = text.noGeo; return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      place(pos.coords.latitude, pos.coords.longitude);
      map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 15));
    }, function () { routed.textContent = text.noGeo; }, { enableHighAccuracy: true, timeout: 10000 });
  });
  if (latInput.value && lngInput.value) { place(parseFloat(latInput.value), parseFloat(lngInput.value)); }
  window.caseFormMap = map;
  window.caseFormPlace = place;
})();
