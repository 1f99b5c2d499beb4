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
    if (b.isValid()) m.map.fitBounds(b.pad(0.25), { maxZoom: 16, animate: false });
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

  // Where a permanent label sits beside its point: the gap leaves the disc (radius 9,
  // ring 2) and the label's little arrow clear.
  var SIDES = { right: [10, 0], left: [-10, 0], top: [0, -10], bottom: [0, 10] };
  // Names keep this far (px) inside the map's edge where they can.
  var INSET = 4;

  // `slide` moves a label above or below its point sideways (its arrow stays on the point).
  function setSide(tooltip, side, slide) {
    tooltip.options.direction = side;
    tooltip.options.offset = [SIDES[side][0] + (slide || 0), SIDES[side][1]];
    tooltip.update();
    tooltip.getElement().style.setProperty("--slide", (slide || 0) + "px");
  }

  // An element's box in the map's pixels.
  function boxOf(el, origin) {
    var r = el.getBoundingClientRect();
    return { x: r.left - origin.left, y: r.top - origin.top, w: r.width, h: r.height };
  }

  function overlap(a, b) {
    var w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
    var h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
    return w > 0 && h > 0 ? w * h : 0;
  }

  // Names stay readable where places are close. Each point's name goes, in the page's
  // order (venues first), to the first side of its point that covers no name already
  // placed, no other point and no line, and stays inside the map: toward the map's middle
  // first, then the other way, above, below. Where no side is clear it takes the side
  // that covers least. Placed again after every zoom, pan or resize (each ends in
  // "moveend").
  function placeLabels(m, labelled, lines) {
    var map = m.map, size = map.getSize();
    var origin = map.getContainer().getBoundingClientRect();
    var discs = labelled.map(function (l) {
      var p = map.latLngToContainerPoint(l.at);
      return { x: p.x - 12, y: p.y - 12, w: 24, h: 24 };
    });
    // Lines as points every 6 px along them.
    var dots = [];
    lines.forEach(function (line) {
      var pts = line.map(function (at) { return map.latLngToContainerPoint(at); });
      for (var i = 1; i < pts.length; i++) {
        var a = pts[i - 1], b = pts[i], n = Math.max(1, Math.ceil(a.distanceTo(b) / 6));
        for (var k = 0; k <= n; k++) dots.push({ x: a.x + (b.x - a.x) * k / n, y: a.y + (b.y - a.y) * k / n, w: 1, h: 1 });
      }
    });
    // The zoom buttons, and a margin inside the map's edge.
    var controls = [].map.call(map.getContainer().querySelectorAll(".leaflet-control"), function (el) { return boxOf(el, origin); });
    var inside = { x: INSET, y: INSET, w: size.x - 2 * INSET, h: size.y - 2 * INSET };
    var placed = [];
    labelled.forEach(function (l, i) {
      var p = map.latLngToContainerPoint(l.at);
      var order = p.x <= size.x / 2 ? ["right", "left", "top", "bottom"] : ["left", "right", "top", "bottom"];
      var best = null;
      for (var s = 0; s < order.length && !(best && best.cost === 0); s++) {
        var side = order[s], slide = 0;
        setSide(l.tooltip, side);
        var at = boxOf(l.tooltip.getElement(), origin);
        if (side === "top" || side === "bottom") {
          // Near an edge a name above or below slides inward, up to where its arrow ends.
          var room = Math.max(0, at.w / 2 - 16);
          slide = Math.max(-room, Math.min(room, Math.max(0, INSET - at.x) - Math.max(0, at.x + at.w - (size.x - INSET))));
          if (slide) { setSide(l.tooltip, side, slide); at = boxOf(l.tooltip.getElement(), origin); }
        }
        var cost = 4 * (at.w * at.h - overlap(at, inside));
        controls.forEach(function (q) { cost += 4 * overlap(at, q); });
        placed.forEach(function (q) { cost += 4 * overlap(at, q); });
        discs.forEach(function (d, j) { if (j !== i) cost += 2 * overlap(at, d); });
        dots.forEach(function (d) { if (overlap(at, d)) cost += 30; });
        if (!best || cost < best.cost) best = { side: side, slide: slide, cost: cost, at: at };
      }
      setSide(l.tooltip, best.side, best.slide);
      placed.push(best.at);
    });
  }

  function drawFeatures(m, features) {
    var colours = colors();
    var labelled = [], lines = [];
    features.forEach(function (f) {
      var c = colours[f.kind] || colours.venue;
      var shape;
      if (f.at) {
        shape = point(f.at, c, colours.ring);
        shape.bindTooltip(f.label || "", { permanent: true, direction: "right", offset: SIDES.right }).addTo(m.layer);
        labelled.push({ at: f.at, tooltip: shape.getTooltip() });
        return;
      }
      else if (f.kind === "boundary") shape = L.polygon(f.line, { color: c, weight: 2, fillOpacity: 0.1 });
      else shape = L.polyline(f.line, { color: c, weight: 5, opacity: 0.85 });
      lines.push(f.line);
      shape.bindTooltip(f.label || "").addTo(m.layer);
    });
    fit(m);
    var place = function () { placeLabels(m, labelled, lines); };
    // Leaflet ends every zoom with a "moveend" too: one placement per change of view.
    m.map.on("moveend resize", place);
    place();
    // A name's width changes once the page's fonts are in.
    if (document.fonts) document.fonts.ready.then(place);
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
