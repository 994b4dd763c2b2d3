/* GridGov maps: cell boundaries on Leaflet, coloured by level. Local assets only; without a
 * configured tile server the boundaries sit on a plain background and no request leaves the site. */
(function () {
  "use strict";
  var COLORS = {
    district: "#6d3fd8",
    street: "#1f5fd1",
    community: "#13804f",
    grid: "#d97706",
    micro_grid: "#c2255c"
  };

  function node(tag, className, text) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = text;
    return element;
  }

  function popupFor(properties, data) {
    var box = node("div");
    box.appendChild(node("div", "gg-popup-title", properties.name));
    var meta = node("div", "small text-secondary mb-2");
    meta.appendChild(node("span", "gg-level gg-level-" + properties.level, properties.level_label));
    meta.appendChild(document.createTextNode(" " + data.labelCode + " " + properties.code));
    box.appendChild(meta);
    if (data.detailUrl) {
      var link = node("a", "btn btn-sm btn-primary text-white", data.labelOpen);
      link.href = data.detailUrl.replace("__code__", encodeURIComponent(properties.code));
      box.appendChild(link);
    }
    return box;
  }

  function mount(container, overrides) {
    if (!container || typeof L === "undefined") return null;
    var data = container.dataset;
    var map = L.map(container, { zoomSnap: 0.25, attributionControl: Boolean(data.tileUrl) });
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, { attribution: data.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var labelLimit = parseInt(data.labelLimit || "60", 10);
    var highlight = data.highlight || "";
    var layer = L.geoJSON(null, {
      style: function (feature) {
        var color = COLORS[feature.properties.level] || "#1f5fd1";
        var own = highlight && feature.properties.code === highlight;
        // Neighbours of one level differ a little in tint so that borders read at a glance.
        var code = String(feature.properties.code || "");
        var tint = 0.1 + (parseInt(code.slice(-2), 10) % 5 || 0) * 0.045;
        if (own) return { color: color, weight: 3, dashArray: "6 4", fillOpacity: 0 };
        return { color: color, weight: 1.4, fillColor: color, fillOpacity: tint };
      },
      onEachFeature: function (feature, featureLayer) {
        featureLayer.bindPopup(popupFor(feature.properties, data));
        featureLayer.on("mouseover", function () { featureLayer.setStyle({ fillOpacity: 0.35 }); });
        featureLayer.on("mouseout", function () { layer.resetStyle(featureLayer); });
      }
    }).addTo(map);
    map.setView([31.2, 121.4], 10);

    var notice = null;
    function say(text) {
      if (notice) { notice.remove(); notice = null; }
      if (!text) return;
      notice = L.control({ position: "topright" });
      notice.onAdd = function () { return node("div", "gg-legend", text); };
      notice.addTo(map);
    }

    function fetchJson(url) {
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        });
    }

    function load(urls, fallback) {
      var list = (urls || []).filter(Boolean);
      say("");
      return Promise.all(list.map(fetchJson)).then(function (collections) {
        layer.clearLayers();
        if (overrides && overrides.features) layer.addData(overrides.features);
        collections.forEach(function (collection) { layer.addData(collection); });
        if (!layer.getLayers().length && fallback) return load([fallback], null);
        var count = layer.getLayers().length;
        if (count && count <= labelLimit) {
          layer.eachLayer(function (featureLayer) {
            if (count > 1 && featureLayer.feature.properties.code === highlight) return;
            featureLayer.bindTooltip(featureLayer.feature.properties.name, { permanent: true, direction: "center", className: "gg-cell-label" });
          });
        }
        if (count) {
          map.fitBounds(layer.getBounds(), { padding: [18, 18] });
        } else {
          say(data.labelEmpty);
        }
        container.dataset.loaded = String(layer.getLayers().length);
        return layer.getLayers().length;
      }).catch(function () { say(data.labelError); container.dataset.loaded = "error"; });
    }

    var sources = (data.sources || "").split(/\s+/);
    if (data.autoload !== "false") load(sources, data.fallback);
    return { map: map, layer: layer, load: load };
  }

  function legend(map, levels) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = node("div", "gg-legend");
      levels.forEach(function (level) {
        var row = node("div");
        var swatch = node("i");
        swatch.style.background = COLORS[level.value] || "#1f5fd1";
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(level.label));
        box.appendChild(row);
      });
      return box;
    };
    control.addTo(map);
  }

  window.GridGovMap = { mount: mount, legend: legend, COLORS: COLORS };
})();
