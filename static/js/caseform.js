// Intake form: drop a pin (or use the phone's location), show the grid it routes to and
// possible duplicates nearby. The base map (tiles and/or generated streets) comes from basemap.js;
// the worker's grid is outlined with its micro-grids labelled.
(function () {
  "use strict";
  // Leaflet puts a tooltip's string in as HTML: names typed by people are escaped first.
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var text = data.text;
  var latInput = document.getElementById("id_lat");
  var lngInput = document.getElementById("id_lng");
  var categoryInput = document.getElementById("id_category");
  var routed = document.getElementById("routed");
  var map = L.map("pick-map", { attributionControl: false, zoomSnap: 0.25 });
  var marker = null;
  (data.micro_grids || []).forEach(function (m) {
    if (!m.boundary) { return; }
    L.geoJSON(m.boundary, { interactive: false, style: { color: "#64748b", weight: 1, dashArray: "4 4", fill: false } })
      .bindTooltip(esc(m.name), { permanent: true, direction: "center", className: "map-label map-label-micro" })
      .addTo(map);
  });
  if (data.boundary) {
    var outline = L.geoJSON(data.boundary, { interactive: false, style: { color: "#2563eb", weight: 3, fillOpacity: 0.04 } }).addTo(map);
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
    getJSON(url).then(function (page) {
      var items = page.results || [];
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
  if (window.GovBasemap) { window.GovBasemap.attach(map); }
  window.caseFormClearPin = function () {
    if (marker) { map.removeLayer(marker); marker = null; }
    routed.textContent = "";
  };
  window.caseFormMap = map;
  window.caseFormPlace = place;
})();

// Offline drafts on the report form: with no signal the report (photos included) is kept on the
// device instead of being POSTed; sw.js does the same when a POST fails on the way. The list above
// the form shows what waits, and a draft the server refused (field errors) can be taken back into
// the form, fixed and sent again.
(function () {
  "use strict";
  var form = document.querySelector("form.case-form");
  var box = document.getElementById("drafts");
  var saved = document.querySelector("[data-testid=draft-saved]");
  if (!form || !box || !window.GovDrafts) { return; }
  var user = document.body.getAttribute("data-user") || "";
  var list = box.querySelector("[data-drafts-list]");
  var editing = null; // the key of the draft taken back into the form

  if (window.location.search.indexOf("draft=saved") !== -1) { saved.hidden = false; }

  function labelOf(name) {
    var label = form.querySelector('label[for="id_' + name + '"]');
    return label ? label.textContent.trim() : name;
  }

  function errorLines(errors) {
    var lines = [];
    Object.keys(errors || {}).forEach(function (name) {
      var messages = Array.isArray(errors[name]) ? errors[name] : [String(errors[name])];
      messages.forEach(function (m) { lines.push(name === "detail" ? m : labelOf(name) + ":" + m); });
    });
    return lines;
  }

  function render(drafts) {
    list.innerHTML = "";
    box.hidden = drafts.length === 0;
    drafts.forEach(function (d) {
      var li = document.createElement("li");
      li.setAttribute("data-draft", d.key);
      var text = "";
      d.fields.forEach(function (f) { if (f[0] === "description") { text = f[1]; } });
      var title = document.createElement("p");
      title.textContent = text.slice(0, 60) + (d.files.length ? " · " + d.files.length + " " + box.dataset.textPhotos : "");
      li.appendChild(title);
      var state = document.createElement("p");
      if (d.errors) {
        state.className = "field-error";
        state.textContent = box.dataset.textFix + " " + errorLines(d.errors).join(";");
        li.appendChild(state);
        var edit = document.createElement("button");
        edit.type = "button";
        edit.className = "btn btn-secondary";
        edit.textContent = box.dataset.textEdit;
        edit.addEventListener("click", function () { load(d); });
        li.appendChild(edit);
      } else {
        state.className = "muted";
        state.textContent = box.dataset.textWaiting;
        li.appendChild(state);
      }
      var del = document.createElement("button");
      del.type = "button";
      del.className = "btn btn-secondary";
      del.textContent = box.dataset.textDelete;
      del.addEventListener("click", function () {
        window.GovDrafts.remove(d.key).then(function () { return window.GovDraftsUI && window.GovDraftsUI.refresh(); });
      });
      li.appendChild(del);
      list.appendChild(li);
    });
  }

  function load(draft) {
    form.reset();
    var lat = null, lng = null;
    draft.fields.forEach(function (f) {
      var name = f[0], value = f[1];
      var inputs = form.querySelectorAll('[name="' + name + '"]');
      inputs.forEach(function (input) {
        if (input.type === "radio" || input.type === "checkbox") { input.checked = input.value === value; }
        else if (input.type !== "file") { input.value = value; }
      });
      if (name === "lat") { lat = parseFloat(value); }
      if (name === "lng") { lng = parseFloat(value); }
    });
    if (draft.files.length && window.DataTransfer) {
      var transfer = new DataTransfer();
      draft.files.forEach(function (f) { transfer.items.add(new File([f.data], f.name, { type: f.type })); });
      document.getElementById("id_photos").files = transfer.files;
    }
    if (lat !== null && lng !== null && window.caseFormPlace) { window.caseFormPlace(lat, lng); }
    editing = draft.key;
    form.scrollIntoView();
  }

  function keep() {
    var previous = editing;
    return window.GovDrafts.fromFormData(new FormData(form), user).then(window.GovDrafts.save).then(function () {
      editing = null;
      return previous ? window.GovDrafts.remove(previous) : null;
    }).then(function () {
      form.reset();
      document.getElementById("id_lat").value = "";
      document.getElementById("id_lng").value = "";
      if (window.caseFormClearPin) { window.caseFormClearPin(); }
      saved.hidden = false;
      saved.scrollIntoView();
      return window.GovDraftsUI && window.GovDraftsUI.uploadAll();
    });
  }

  form.addEventListener("submit", function (event) {
    // Online, a new report goes through the normal POST (server-side errors, the case page after).
    // Offline, or when fixing a refused draft, it becomes a draft and goes through the API.
    if (navigator.onLine && !editing) { return; }
    event.preventDefault();
    keep();
  });
  document.addEventListener("gov:drafts", function (event) { render(event.detail); });
  if (window.GovDraftsUI) { window.GovDraftsUI.refresh(); }
})();
