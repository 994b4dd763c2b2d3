/* Case pages: location picker, own position, building choice, voice recording, case maps,
 * one-click submit and the rating stars. Local assets only; works without a tile server. */
(function () {
  "use strict";

  var STATUS_COLORS = {
    new: "#1f5fd1", accepted: "#0b8fb3", dispatched: "#0b8fb3", in_progress: "#d97706",
    resolved: "#13804f", closed: "#6b7a90", returned: "#c92a2a", suspended: "#343a40", merged: "#adb5bd"
  };
  var LATE_COLOR = "#c92a2a";

  function byId(id) { return document.getElementById(id); }

  function baseMap(container) {
    var map = L.map(container, { zoomSnap: 0.25, attributionControl: Boolean(container.dataset.tileUrl) });
    if (container.dataset.tileUrl) {
      L.tileLayer(container.dataset.tileUrl, { attribution: container.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var outline = container.dataset.outline ? byId(container.dataset.outline) : null;
    var bounds = null;
    if (outline) {
      var layer = L.geoJSON(JSON.parse(outline.textContent), {
        style: { color: "#1f5fd1", weight: 1.5, fillOpacity: 0.05 }, interactive: false
      }).addTo(map);
      if (layer.getLayers().length) bounds = layer.getBounds();
    }
    if (bounds) map.fitBounds(bounds, { padding: [10, 10] }); else map.setView([31.05, 121.38], 12);
    return map;
  }

  // ---- location picker (report and hotline forms) -------------------------------------------
  function picker(container) {
    var form = container.closest("form");
    var lat = form.querySelector("[name=lat]");
    var lng = form.querySelector("[name=lng]");
    var building = form.querySelector("[name=building_id]");
    var label = byId("gg-location-label");
    var map = baseMap(container);
    var marker = null;

    function place(latValue, lngValue, text, zoom) {
      lat.value = Number(latValue).toFixed(6);
      lng.value = Number(lngValue).toFixed(6);
      if (marker) marker.setLatLng([latValue, lngValue]); else marker = L.marker([latValue, lngValue]).addTo(map);
      if (zoom) map.setView([latValue, lngValue], Math.max(map.getZoom(), 16));
      if (label) { label.textContent = text; label.classList.remove("text-secondary"); }
    }

    map.on("click", function (event) {
      if (building) building.value = "";
      place(event.latlng.lat, event.latlng.lng, container.dataset.labelPoint + " " + event.latlng.lat.toFixed(5) + ", " + event.latlng.lng.toFixed(5));
    });
    if (lat.value && lng.value) place(lat.value, lng.value, container.dataset.labelPoint + " " + lat.value + ", " + lng.value, true);

    var locate = form.querySelector("[data-locate]");
    if (locate) {
      locate.addEventListener("click", function () {
        if (!navigator.geolocation) { if (label) label.textContent = container.dataset.labelNoGps; return; }
        locate.disabled = true;
        navigator.geolocation.getCurrentPosition(function (position) {
          locate.disabled = false;
          if (building) building.value = "";
          place(position.coords.latitude, position.coords.longitude, container.dataset.labelMine + " (±" + Math.round(position.coords.accuracy) + " m)", true);
        }, function () {
          locate.disabled = false;
          if (label) label.textContent = container.dataset.labelNoGps;
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }

    form.addEventListener("click", function (event) {
      var choice = event.target.closest("[data-building-id]");
      if (!choice) return;
      event.preventDefault();
      building.value = choice.dataset.buildingId;
      form.querySelectorAll("[data-building-id]").forEach(function (item) { item.classList.remove("active"); });
      choice.classList.add("active");
      if (choice.dataset.lat && choice.dataset.lng) {
        place(choice.dataset.lat, choice.dataset.lng, choice.dataset.label, true);
      } else {
        lat.value = ""; lng.value = "";
        if (label) { label.textContent = choice.dataset.label; label.classList.remove("text-secondary"); }
      }
    });
  }

  // ---- own position on the visit form --------------------------------------------------------
  function visitPosition(box) {
    var form = box.closest("form");
    var status = box.querySelector("[data-gps-status]");
    if (!navigator.geolocation) { status.textContent = box.dataset.labelNoGps; return; }
    navigator.geolocation.getCurrentPosition(function (position) {
      form.querySelector("[name=lat]").value = position.coords.latitude.toFixed(6);
      form.querySelector("[name=lng]").value = position.coords.longitude.toFixed(6);
      form.querySelector("[name=accuracy_m]").value = Math.round(position.coords.accuracy);
      status.textContent = box.dataset.labelGot + " ±" + Math.round(position.coords.accuracy) + " m";
      status.className = "text-success";
    }, function () {
      status.textContent = box.dataset.labelNoGps;
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  }

  // ---- voice recording (MediaRecorder; a plain file input where it is missing) ---------------
  function recorder(box) {
    var input = box.querySelector("input[type=file]");
    var controls = box.querySelector("[data-record-controls]");
    var start = box.querySelector("[data-record-start]");
    var stop = box.querySelector("[data-record-stop]");
    var status = box.querySelector("[data-record-status]");
    var audio = box.querySelector("audio");
    if (!window.MediaRecorder || !navigator.mediaDevices || !window.DataTransfer) return;
    controls.hidden = false;
    var media = null, chunks = [];
    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        chunks = [];
        media = new MediaRecorder(stream);
        media.ondataavailable = function (event) { if (event.data.size) chunks.push(event.data); };
        media.onstop = function () {
          stream.getTracks().forEach(function (track) { track.stop(); });
          var type = media.mimeType || "audio/webm";
          var extension = type.indexOf("mp4") >= 0 ? "m4a" : (type.indexOf("ogg") >= 0 ? "ogg" : "webm");
          var blob = new Blob(chunks, { type: type.split(";")[0] });
          var file = new File([blob], "voice." + extension, { type: blob.type });
          var transfer = new DataTransfer();
          transfer.items.add(file);
          input.files = transfer.files;
          audio.src = URL.createObjectURL(blob);
          audio.hidden = false;
          status.textContent = box.dataset.labelDone;
        };
        media.start();
        start.disabled = true; stop.disabled = false;
        status.textContent = box.dataset.labelRecording;
      }).catch(function () { status.textContent = box.dataset.labelDenied; });
    });
    stop.addEventListener("click", function () {
      if (media && media.state !== "inactive") media.stop();
      start.disabled = false; stop.disabled = true;
    });
  }

  // ---- maps of cases ---------------------------------------------------------------------------
  function caseMap(container) {
    var map = baseMap(container);
    var group = L.featureGroup().addTo(map);
    var colors = container.dataset.colors ? JSON.parse(byId(container.dataset.colors).textContent) : STATUS_COLORS;
    fetch(container.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
      .then(function (collection) {
        (collection.features || []).forEach(function (feature) {
          var p = feature.properties || {};
          var c = feature.geometry && feature.geometry.coordinates;
          if (!c) return;
          var late = Boolean(p.overdue);
          var marker = L.circleMarker([c[1], c[0]], {
            radius: late ? 8 : 7, weight: late ? 3 : 1.5, color: late ? (colors.late || LATE_COLOR) : "#ffffff",
            fillColor: colors[p.status] || "#1f5fd1", fillOpacity: 0.9
          });
          var box = document.createElement("div");
          var title = document.createElement("div");
          title.className = "gg-popup-title";
          title.textContent = (p.number || "") + " " + (p.title || "");
          box.appendChild(title);
          var meta = document.createElement("div");
          meta.className = "small text-secondary mb-2";
          meta.textContent = (p.status_label || p.status || "") + (late ? " · " + container.dataset.labelLate : "") + (p.category ? " · " + p.category : "");
          box.appendChild(meta);
          if (container.dataset.detailUrl) {
            var link = document.createElement("a");
            link.className = "btn btn-sm btn-primary text-white";
            link.href = container.dataset.detailUrl.replace(/\/0\/$/, "/" + String(p.id) + "/");
            link.textContent = container.dataset.labelOpen;
            box.appendChild(link);
          }
          marker.bindPopup(box);
          group.addLayer(marker);
        });
        container.dataset.loaded = String(group.getLayers().length);
        if (group.getLayers().length) map.fitBounds(group.getBounds(), { padding: [24, 24], maxZoom: 16 });
      })
      .catch(function () { container.dataset.loaded = "error"; });
  }

  function casePoint(container) {
    var map = baseMap(container);
    var latlng = [parseFloat(container.dataset.lat), parseFloat(container.dataset.lng)];
    L.circleMarker(latlng, { radius: 9, color: "#fff", weight: 2, fillColor: container.dataset.color || "#1f5fd1", fillOpacity: 0.95 }).addTo(map);
    map.setView(latlng, 16);
  }

  // ---- forms: one submission only, rating stars --------------------------------------------
  function once(form) {
    form.addEventListener("submit", function () {
      if (form.dataset.sent === "1") return;
      form.dataset.sent = "1";
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
      }, 0);
    });
  }

  function stars(box) {
    var labels = Array.prototype.slice.call(box.querySelectorAll("label"));
    function paint(value) {
      labels.forEach(function (label) { label.classList.toggle("on", Number(label.dataset.value) <= value); });
    }
    box.addEventListener("change", function (event) { paint(Number(event.target.value)); });
    var checked = box.querySelector("input:checked");
    paint(checked ? Number(checked.value) : 0);
  }

  function fileNames(box) {
    var out = box.parentElement.querySelector(".gg-file-names");
    box.addEventListener("change", function () {
      var names = [];
      box.querySelectorAll("input[type=file]").forEach(function (input) {
        Array.prototype.forEach.call(input.files || [], function (file) { names.push(file.name); });
      });
      if (out) out.textContent = names.length ? "✓ " + names.join("、") : "";
    });
  }

  function init() {
    if (typeof L !== "undefined") {
      document.querySelectorAll("[data-pick-map]").forEach(picker);
      document.querySelectorAll("[data-case-map]").forEach(caseMap);
      document.querySelectorAll("[data-case-point]").forEach(casePoint);
    }
    document.querySelectorAll("[data-gps]").forEach(visitPosition);
    document.querySelectorAll("[data-recorder]").forEach(recorder);
    document.querySelectorAll("form[data-once]").forEach(once);
    document.querySelectorAll("[data-stars]").forEach(stars);
    document.querySelectorAll("[data-files]").forEach(fileNames);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
