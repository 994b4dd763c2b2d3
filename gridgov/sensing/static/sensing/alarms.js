/* The alarm board: rows arrive and change by polling (htmx); a row is replaced only by a newer
 * picture of it (its rank: status, case, occurrences), a cleared row fades out and leaves.
 * The map: one marker per open row that has a position, coloured by severity (acknowledged
 * ones in blue), redrawn whenever rows change. Local assets only; without a tile server the
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

    var shown = null;

    function draw() {
      markers.clearLayers();
      var ids = [];
      document.querySelectorAll("[data-alarm-id][data-lat]:not([data-status=cleared])").forEach(function (row) {
        var lat = parseFloat(row.dataset.lat);
        var lng = parseFloat(row.dataset.lng);
        if (isNaN(lat) || isNaN(lng)) return;
        var acknowledged = row.dataset.status === "acknowledged";
        // An acknowledged alarm is blue inside, its severity's colour as the ring.
        var marker = L.circleMarker([lat, lng], {
          radius: acknowledged ? 8 : 9,
          color: acknowledged ? row.dataset.edge || "#fff" : "#fff",
          weight: acknowledged ? 3 : 2,
          fillColor: row.dataset.color || "#c92a2a",
          fillOpacity: acknowledged ? 0.75 : 0.95
        });
        marker.bindPopup(popup(row, container.dataset.labelOpen));
        markers.addLayer(marker);
        ids.push(row.dataset.alarmId);
      });
      var count = markers.getLayers().length;
      container.dataset.markers = String(count);
      // Only a different set of alarms moves the view: a colour change leaves the zoom alone.
      var key = ids.sort().join(",");
      if (key === shown) return;
      shown = key;
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
    document.body.addEventListener("gg:alarms-changed", draw);
  }

  var pending = false;
  function changed() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      var list = document.getElementById("gg-alarm-list");
      if (list) leaveWhenCleared(list);
      document.body.dispatchEvent(new CustomEvent("gg:alarms-changed"));
    });
  }

  function rank(row) {
    return (row && row.dataset.rank ? row.dataset.rank : "").split(" ").map(Number);
  }

  function isNewer(incoming, present) {
    var next = rank(incoming);
    var now = rank(present);
    for (var index = 0; index < next.length; index += 1) {
      if (!(next[index] <= now[index])) return true;
    }
    return false;
  }

  function leaveWhenCleared(list) {
    list.querySelectorAll(".gg-alarm[data-status=cleared]").forEach(function (row) {
      if (row.dataset.leaving) return;
      row.dataset.leaving = "1";
      window.setTimeout(function () { row.remove(); changed(); }, 4000);
    });
  }

  // A slower answer (a poll sent before one's own acknowledgement) must not bring back an older
  // picture of a row; an equal one is skipped too, keeping a refusal's message in place.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
    if (!target || !incoming || !target.classList.contains("gg-alarm")) return;
    if (!isNewer(incoming, target)) event.detail.shouldSwap = false;
  });
  document.addEventListener("htmx:oobAfterSwap", changed);
  document.addEventListener("htmx:afterSettle", changed);

  function start() { document.querySelectorAll("[data-alarm-map]").forEach(mount); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
