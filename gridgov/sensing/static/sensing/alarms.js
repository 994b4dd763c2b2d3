/* The alarm board's map: one marker per alarm row that has a position, coloured by severity,
 * redrawn whenever htmx adds or replaces rows. Local assets only; without a tile server the
 * markers sit over the town's outline on a plain background. */
(function () {
  "use strict";

  function outlineLayer(map, container) {
    var id = container.dataset.outline;
    var element = id ? document.getElementById(id) : null;
    if (!element) return null;
    try {
      var layer = L.geoJSON(JSON.parse(element.textContent), {
        style: { color: "#1f5fd1", weight: 1.5, fillOpacity: 0.04 }, interactive: false
      }).addTo(map);
      return layer.getLayers().length ? layer : null;
    } catch (error) {
      return null;
    }
  }

  function popup(row, label) {
    var box = document.createElement("div");
    var title = document.createElement("div");
    title.className = "gg-popup-title mb-1";
    title.textContent = row.dataset.title || "";
    box.appendChild(title);
    if (row.dataset.url && label) {
      var link = document.createElement("a");
      link.className = "btn btn-sm btn-primary text-white";
      link.href = row.dataset.url;
      link.textContent = label;
      box.appendChild(link);
    }
    return box;
  }

  function mount(container) {
    if (typeof L === "undefined" || container.dataset.mounted) return;
    container.dataset.mounted = "1";
    var map = L.map(container, { zoomSnap: 0.25, attributionControl: Boolean(container.dataset.tileUrl) });
    if (container.dataset.tileUrl) {
      L.tileLayer(container.dataset.tileUrl, { attribution: container.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var outline = outlineLayer(map, container);
    var markers = L.featureGroup().addTo(map);
    var notice = null;

    function say(text) {
      if (notice) { notice.remove(); notice = null; }
      if (!text) return;
      notice = L.control({ position: "topright" });
      notice.onAdd = function () {
        var box = document.createElement("div");
        box.className = "gg-legend";
        box.textContent = text;
        return box;
      };
      notice.addTo(map);
    }

    function draw() {
      markers.clearLayers();
      document.querySelectorAll("[data-alarm-id][data-lat]").forEach(function (row) {
        var lat = parseFloat(row.dataset.lat);
        var lng = parseFloat(row.dataset.lng);
        if (isNaN(lat) || isNaN(lng)) return;
        var marker = L.circleMarker([lat, lng], {
          radius: row.dataset.status === "active" ? 9 : 7,
          color: "#fff",
          weight: 2,
          fillColor: row.dataset.color || "#c92a2a",
          fillOpacity: row.dataset.status === "active" ? 0.95 : 0.6
        });
        marker.bindPopup(popup(row, container.dataset.labelOpen));
        markers.addLayer(marker);
      });
      var count = markers.getLayers().length;
      container.dataset.markers = String(count);
      if (count) {
        map.fitBounds(markers.getBounds(), { padding: [28, 28], maxZoom: 16 });
        say("");
      } else {
        if (outline) map.fitBounds(outline.getBounds(), { padding: [10, 10] });
        else map.setView([31.05, 121.38], 12);
        say(container.dataset.labelEmpty);
      }
    }

    draw();
    document.body.addEventListener("htmx:afterSettle", draw);
  }

  function start() { document.querySelectorAll("[data-alarm-map]").forEach(mount); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
