// Vigil console: the little JavaScript the pages need. Live updates of the Incidents
// list (server-sent events), the map (Leaflet, served by vigil-server), and a
// confirmation before a revocation. Everything works without it but the live list and
// the map.
(function () {
  "use strict";

  function confirmForms() {
    document.querySelectorAll("form.confirm").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.dataset.confirm || "Are you sure?")) ev.preventDefault();
      });
    });
  }

  // The map's colours are the stylesheet's (--map-*), for the colour scheme in use: each
  // at least 3:1 against the plain map background.
  function colors() {
    var css = window.getComputedStyle(document.documentElement);
    var pick = function (name, fallback) { return css.getPropertyValue("--map-" + name).trim() || fallback; };
    var venue = pick("venue", "#0b5cad");
    return { venue: venue, boundary: venue, haven: pick("haven", "#1d6b35"), route: pick("route", "#b3400b"),
      incident: pick("incident", "#a4161a"), ring: pick("ring", "#ffffff") };
  }

  // A point: a disc of colour `c`, ringed in the background's opposite.
  function point(at, c, ring) {
    return L.circleMarker(at, { radius: 9, color: ring, weight: 2, fillColor: c, fillOpacity: 1 });
  }

  function makeMap(el) {
    if (!window.L) return null;
    var map = L.map(el, { zoomControl: true, attributionControl: false, zoomSnap: 0.25 });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map);
    }
    var layer = L.featureGroup().addTo(map);
    map.setView([51.5, -0.12], 12);
    return { map: map, layer: layer };
  }

  function fit(m) {
    var b = m.layer.getBounds();
    if (b.isValid()) m.map.fitBounds(b.pad(0.25), { maxZoom: 16 });
  }

  function drawRows(m, tbody) {
    var c = colors();
    m.layer.clearLayers();
    tbody.querySelectorAll("tr[data-lat]").forEach(function (tr) {
      var lat = parseFloat(tr.dataset.lat), lon = parseFloat(tr.dataset.lon);
      if (isNaN(lat) || isNaN(lon)) return;
      var marker = point([lat, lon], c.incident, c.ring).bindTooltip(tr.dataset.label || "");
      if (tr.dataset.id) marker.on("click", function () { window.location = "/console/incidents/" + tr.dataset.id; });
      marker.addTo(m.layer);
    });
    fit(m);
  }

  function drawFeatures(m, features) {
    var colours = colors();
    features.forEach(function (f) {
      var c = colours[f.kind] || colours.venue;
      var shape;
      if (f.at) {
        shape = point(f.at, c, colours.ring);
        // "auto": a label reads toward the map's middle, so a place near the right edge
        // keeps its name inside the map instead of running out of it.
        shape.bindTooltip(f.label || "", { permanent: true, direction: "auto", offset: [10, 0] }).addTo(m.layer);
        return;
      }
      else if (f.kind === "boundary") shape = L.polygon(f.line, { color: c, weight: 2, fillOpacity: 0.1 });
      else shape = L.polyline(f.line, { color: c, weight: 5, opacity: 0.85 });
      shape.bindTooltip(f.label || "").addTo(m.layer);
    });
    fit(m);
  }

  function maps() {
    var el = document.getElementById("map");
    if (!el) return null;
    var m = makeMap(el);
    if (!m) return null;
    if (el.dataset.source) {
      var tbody = document.getElementById(el.dataset.source);
      if (tbody) drawRows(m, tbody);
    } else if (el.dataset.features) {
      try { drawFeatures(m, JSON.parse(el.dataset.features)); } catch (e) { /* no features */ }
    }
    return m;
  }

  function live(m) {
    var tbody = document.getElementById("incident-rows");
    if (!tbody || !window.EventSource) return;
    var status = document.getElementById("live");
    var source = new EventSource(tbody.dataset.events);
    source.addEventListener("open", function () { if (status) status.textContent = "live"; });
    source.addEventListener("error", function () {
      // Closed for good (the session ended: 401) or retrying after a cut.
      if (status) status.textContent = source.readyState === EventSource.CLOSED ? "not live: reload the page" : "reconnecting…";
    });
    source.addEventListener("incident", function () {
      var before = {};
      tbody.querySelectorAll("tr[data-id]").forEach(function (tr) { before[tr.dataset.id] = true; });
      // Asked by the page, not the user: it does not keep an idle session alive.
      fetch(tbody.dataset.rows, { credentials: "same-origin", headers: { "X-Vigil-Background": "1" } })
        .then(function (r) {
          if (!r.ok || r.redirected) throw new Error(r.status);
          var total = document.getElementById("total");
          if (total && r.headers.get("x-vigil-total")) total.textContent = r.headers.get("x-vigil-total");
          return r.text();
        })
        .then(function (html) {
          tbody.innerHTML = html;
          var fresh = 0;
          tbody.querySelectorAll("tr[data-id]").forEach(function (tr) {
            if (!before[tr.dataset.id]) { tr.classList.add("fresh"); fresh++; }
          });
          var shown = document.getElementById("shown");
          if (shown) shown.textContent = tbody.querySelectorAll("tr[data-id]").length;
          if (status) status.textContent = fresh ? "live: " + fresh + " new" : "live";
          if (m) drawRows(m, tbody);
        })
        .catch(function () { if (status) status.textContent = "reload the page"; });
    });
  }

  confirmForms();
  // leaflet.js comes after this script on map pages: wait for the whole page.
  window.addEventListener("load", function () { live(maps()); });
})();
