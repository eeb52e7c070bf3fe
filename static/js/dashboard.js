// The officials' screen: ECharts for the trend, categories and child-area ranking, a Leaflet map of
// the child areas coloured by load (no tiles: intranet). Figures refresh every 60 s from the API.
(function () {
  "use strict";
  // Leaflet puts a tooltip's string in as HTML: names typed by people are escaped first.
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var config = JSON.parse(document.getElementById("dashboard-config").textContent);
  var text = JSON.parse(document.getElementById("dashboard-text").textContent);
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var charts = {
    trend: echarts.init(document.getElementById("chart-trend")),
    children: echarts.init(document.getElementById("chart-children")),
    categories: echarts.init(document.getElementById("chart-categories")),
  };
  var map = L.map("dash-map", { attributionControl: false, zoomSnap: 0.25 });
  var layer = null;

  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
  function drillUrl(id) { return config.page + "?area=" + id + "&from=" + config.from + "&to=" + config.to; }

  // Load relative to the busiest sibling: half open work, half overdue work.
  function colour(c, maxOpen, maxOverdue) {
    var score = 0.5 * (maxOpen ? c.open / maxOpen : 0) + 0.5 * (maxOverdue ? c.overdue / maxOverdue : 0);
    if (score > 0.75) { return "#dc2626"; }
    if (score > 0.5) { return "#f97316"; }
    if (score > 0.25) { return "#facc15"; }
    return "#22c55e";
  }

  function render(d) {
    Object.keys(d.kpis).forEach(function (key) {
      var el = document.querySelector('[data-kpi="' + key + '"]');
      if (!el) { return; }
      el.textContent = key.slice(-5) === "_rate" ? pct(d.kpis[key]) : d.kpis[key];
    });
    // The linked tiles open exactly the list they count, for the area now shown.
    document.querySelectorAll("[data-kpi-link]").forEach(function (a) {
      var url = new URL(a.href, window.location.href);
      url.searchParams.set("area", d.area.id);
      a.href = url.pathname + url.search;
    });
    charts.trend.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [text.new, text.closed] },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: d.trend.days.map(function (s) { return s.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: text.new, type: "line", smooth: true, data: d.trend.new },
        { name: text.closed, type: "line", smooth: true, data: d.trend.closed },
      ],
    });
    var names = d.children.map(function (c) { return c.name; });
    function rateSeries(name, key) {
      return { name: name, type: "bar", data: d.children.map(function (c) { return c[key] === null ? "-" : +(c[key] * 100).toFixed(1); }) };
    }
    charts.children.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      legend: { data: [text.response, text.resolution, text.satisfaction] },
      grid: { left: 8, right: 16, top: 36, bottom: 24, containLabel: true },  // names never cut off
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", data: names, inverse: true },
      series: [
        rateSeries(text.response, "response_rate"),
        rateSeries(text.resolution, "resolution_rate"),
        rateSeries(text.satisfaction, "satisfaction_rate"),
      ],
    }, true);
    charts.categories.setOption({
      tooltip: { trigger: "item" },
      series: [{
        name: text.cases, type: "pie", radius: ["35%", "70%"],
        data: d.categories.map(function (c) { return { name: c.name, value: c.count }; }),
      }],
    }, true);

    var maxOpen = Math.max.apply(null, [0].concat(d.children.map(function (c) { return c.open; })));
    var maxOverdue = Math.max.apply(null, [0].concat(d.children.map(function (c) { return c.overdue; })));
    var features = d.children.filter(function (c) { return c.boundary; }).map(function (c) {
      return { type: "Feature", geometry: c.boundary, properties: c };
    });
    if (layer) { map.removeLayer(layer); }
    layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
      style: function (f) {
        return { color: "#1e3a8a", weight: 1, fillColor: colour(f.properties, maxOpen, maxOverdue), fillOpacity: 0.6 };
      },
      onEachFeature: function (f, l) {
        var c = f.properties;
        var label = esc(c.name) + "<br>" + esc(text.open) + " " + c.open + " · " + esc(text.overdue) + " " + c.overdue;
        if (features.length <= 30) {
          l.bindTooltip(label, { permanent: true, direction: "center", className: "area-label" });
        } else {
          l.bindTooltip(label, { sticky: true });
        }
        l.on("click", function () { window.location.href = drillUrl(c.id); });
      },
    }).addTo(map);
    if (features.length) { map.fitBounds(layer.getBounds(), { padding: [8, 8] }); }
    else { map.setView([40.6, 109.9], 10); }
    var stamp = document.getElementById("refreshed");
    if (stamp) { stamp.textContent = d.generated_at.slice(0, 19).replace("T", " "); }
  }

  render(data);
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  });
  setInterval(function () {
    var url = config.api + "?area=" + config.area + "&from=" + config.from + "&to=" + config.to;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw r; } return r.json(); })
      .then(render)
      .catch(function () { /* keep the last figures on screen */ });
  }, 60000);
})();
