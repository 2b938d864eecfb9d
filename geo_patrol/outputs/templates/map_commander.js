/* geo_patrol's coverage map: draws a plan (one JSON value, see geo_patrol/outputs/map_data.py) on a
   Leaflet map with a toolbar (search, period, station filter, missed list, timeline, print), the car
   animation, labels placed where they fit, a north arrow and a metric scale. Every text from the plan
   is set with textContent or as a text node, never parsed as HTML. */
(function (global) {
    'use strict';
    var SCALE = 1e5;

    function el(tag, cls, parent, text) {
        var e = document.createElement(tag);
        if (cls) { e.className = cls; }
        if (text !== undefined && text !== null) { e.textContent = String(text); }
        if (parent) { parent.appendChild(e); }
        return e;
    }
    function unpack(a) {
        var out = [], lat = 0, lon = 0;
        for (var i = 0; i + 1 < a.length; i += 2) { lat += a[i]; lon += a[i + 1]; out.push([lat / SCALE, lon / SCALE]); }
        return out;
    }
    function cumsum(a) { var out = [], s = 0; for (var i = 0; i < a.length; i++) { s += a[i]; out.push(s); } return out; }
    function two(x) { return (x < 10 ? '0' : '') + x; }
    function hhmm(s) { s = Math.round(s); return two(Math.floor(s / 3600)) + ':' + two(Math.floor(s % 3600 / 60)); }
    function hhmmss(s) { s = Math.round(s); return hhmm(s) + ':' + two(s % 60); }
    function fmt(pattern, values) { return pattern.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; }); }

    /* a popup body: a title and rows of [label, text | [lines] | Node]; separator rows start a new window */
    function table(title, rows) {
        var box = el('div', 'gp-pop');
        el('h4', '', box, title);
        var body = el('table', '', box);
        rows.forEach(function (r) {
            var tr = el('tr', r[2] ? 'gp-sep' : '', body);
            el('th', '', tr, r[0]);
            var td = el('td', '', tr), v = r[1];
            if (v instanceof Node) { td.appendChild(v); }
            else if (Array.isArray(v)) {
                v.forEach(function (line, k) { if (k) { el('br', '', td); } td.appendChild(document.createTextNode(String(line))); });
            } else { td.textContent = String(v); }
        });
        return box;
    }

    /* Leaflet.markercluster hides and shows markers by opacity; circle markers get the same two methods */
    if (global.L && L.CircleMarker && !L.CircleMarker.prototype.clusterHide) {
        L.CircleMarker.include({
            clusterHide: function () { this._gpHidden = true; this.setStyle({opacity: 0, fillOpacity: 0}); return this; },
            clusterShow: function () {
                if (this._gpHidden) { this._gpHidden = false; this.setStyle({opacity: this._gpOpacity || 1, fillOpacity: this._gpFill || 0.95}); }
                return this;
            }
        });
    }

    global.geoPatrolMap = function (map, layers, data, text) {
        var S = data.schools, P = data.posts, style = data.style, big = data.cluster;
        var nSchools = S.id.length;
        var detailZoom = big ? style.detail_zoom : 0, clusterOff = style.cluster_off_zoom;
        var state = {period: data.period, station: -1, highlight: null, found: null};
        var api = {map: map, data: data, state: state, ready: false};
        var canvas = L.canvas({padding: 0.5}), popupOptions = {maxWidth: 340};
        if (!isFinite(map.getMaxZoom())) { map.setMaxZoom(19); }  // no tile layer sets one; clusters need it
        var statusText = [text.status_names.met, text.status_names.partly, text.status_names.missed];
        var periodName = {};
        data.periods.forEach(function (p) { periodName[p.id] = p.name; });
        var labelPane = map.createPane('gpLabels');
        labelPane.style.zIndex = 640;
        map.createPane('gpSchools').style.zIndex = 450;  // above routes and stops (overlay pane, 400)
        map.createPane('gpPosts').style.zIndex = 455;
        var carPane = map.createPane('gpCars');
        carPane.style.zIndex = 650;  // above markers: a car at its station stays visible
        var searchName = S.name.map(function (n) { return String(n).toLowerCase(); });
        var searchId = S.id.map(function (n) { return String(n).toLowerCase(); });

        function inStation(k) { return state.station < 0 || k === state.station; }
        function holder(clusterClass) {
            if (!big || !L.markerClusterGroup) { return L.featureGroup(); }
            return L.markerClusterGroup({
                disableClusteringAtZoom: clusterOff, maxClusterRadius: 32, showCoverageOnHover: false,
                spiderfyOnMaxZoom: false, animate: false, chunkedLoading: false,
                iconCreateFunction: function (cluster) {
                    var children = cluster.getAllChildMarkers(), worst = 0, missed = 0;
                    children.forEach(function (m) {
                        var s = m.options.gpStatus || 0;
                        if (s > worst) { worst = s; }
                        if (s === 2) { missed++; }
                    });
                    var box = el('div', 'gp-cluster ' + (clusterClass || ('gp-cluster-' + worst)));
                    el('span', '', box, children.length);
                    if (missed) { el('b', '', box, missed); }
                    var size = children.length < 10 ? 30 : children.length < 100 ? 36 : 44;
                    return L.divIcon({html: box, className: 'gp-cluster-icon', iconSize: [size, size]});
                }
            });
        }
        function fill(group, list) {
            group.clearLayers();
            if (group.addLayers) { group.addLayers(list); } else { list.forEach(function (l) { group.addLayer(l); }); }
        }
        /* layers drawn only from a zoom on and only in view (a clustered map), else always */
        function ViewSet(group, minZoom, spacing) {
            this.group = group; this.minZoom = minZoom; this.spacing = spacing || 0; this.items = []; this.shown = [];
        }
        ViewSet.prototype.refresh = function () {
            var self = this, keep = [], last = {};
            if (map.getZoom() >= this.minZoom) {
                var bounds = this.minZoom > 0 ? map.getBounds().pad(0.3) : null;
                this.items.forEach(function (it) {
                    if (!it.visible()) { return; }
                    if (bounds && !bounds.contains(it.ll)) { return; }
                    if (self.spacing) {  // thinned on screen: at least `spacing` pixels from the last one of its line
                        var q = map.latLngToLayerPoint(it.ll), before = last[it.line];
                        if (before && before.distanceTo(q) < self.spacing) { return; }
                        last[it.line] = q;
                    }
                    if (!it.layer) { it.layer = it.make(); }
                    keep.push(it.layer);
                });
            }
            var wanted = new Set(keep);
            this.shown.forEach(function (l) { if (!wanted.has(l)) { self.group.removeLayer(l); } });
            keep.forEach(function (l) { if (!self.group.hasLayer(l)) { self.group.addLayer(l); } });
            this.shown = keep;
        };
        var viewSets = [];
        function viewSet(parent, minZoom, spacing) {
            var g = L.featureGroup().addTo(parent), v = new ViewSet(g, minZoom, spacing);
            viewSets.push(v);
            return v;
        }

        /* ---- roads (canvas) ---- */
        var minorRoads = null;
        if (layers.roads) {
            var major = L.featureGroup(), minor = L.featureGroup();
            data.roads.forEach(function (cls) {
                var opts = {color: cls.colour, weight: cls.width, opacity: 0.95, lineCap: 'round', lineJoin: 'round',
                            renderer: canvas, smoothFactor: 1.5};
                cls.lines.forEach(function (line) {
                    var pl = L.polyline(line[1].map(unpack), opts);
                    pl.gpName = line[0];
                    (cls.minor ? minor : major).addLayer(pl);
                });
            });
            [minor, major].forEach(function (g) {
                g.bindTooltip(function (layer) { return el('div', '', null, layer.gpName); }, {sticky: true, className: 'foliumtooltip'});
            });
            minor.addTo(layers.roads);
            major.addTo(layers.roads);
            minorRoads = minor;
            map.attributionControl.addAttribution(text.attribution);
        }

        /* ---- "135" reach (canvas) ---- */
        Object.keys(layers.reach || {}).forEach(function (p) {
            (data.reach[p] || []).forEach(function (rings) {
                L.polygon(rings.map(unpack), {color: style.reach, weight: 1, fillColor: style.reach, fillOpacity: 0.12,
                                             opacity: 0.6, renderer: canvas, interactive: false}).addTo(layers.reach[p]);
            });
        });

        /* ---- schools and their rings, per period ---- */
        function schoolPopup(entry, p) {
            var i = entry[0], rows = [[text.kind, S.kind[i]], [text.enrolment, S.enrol[i]]];
            entry[2].forEach(function (w) {
                var status = el('span');
                var b = el('b', '', status, statusText[w[4]]);
                b.style.color = style.status[w[4]];
                el('br', '', status);
                status.appendChild(document.createTextNode([text.officer + ' ' + (w[1] ? text.yes : text.no),
                    text.car + ' ' + (w[2] ? text.yes : text.no), text.lights + ' ' + (w[3] ? text.yes : text.no)].join(' ')));
                rows.push([text.window, periodName[p] + ' ' + w[0], entry[2].length > 1]);
                rows.push([text.status, status]);
                rows.push([text.sources, w[5].length ? w[5] : text.none]);
                rows.push([text.presence, w[6].toFixed(1) + '%']);
                rows.push([text.worst, w[7]]);
                rows.push([text.within, w[8].toFixed(1) + '%']);
                rows.push([text.second, w[9] ? text.yes : text.no]);
                if (w[10]) { var r = el('span', '', null, w[10]); r.style.color = style.status[2]; rows.push([text.reason, r]); }
            });
            return table(S.name[i] + ' (' + S.id[i] + ')', rows);
        }
        var schoolSets = {}, ringSets = {};
        Object.keys(layers.schools || {}).forEach(function (p) {
            var items = [], bySchool = {};
            (data.windows[p] || []).forEach(function (entry) {
                var i = entry[0], st = entry[1];
                var m = L.circleMarker([S.lat[i], S.lon[i]], {radius: 7 + Math.min(5, S.enrol[i] / 300), color: '#ffffff',
                    weight: 2.5, fill: true, fillColor: style.status[st], fillOpacity: 0.95, gpStatus: st, pane: 'gpSchools'});
                m.bindPopup(function () { return schoolPopup(entry, p); }, {maxWidth: 340});
                m.bindTooltip(function () { return el('div', '', null, S.name[i] + ' · ' + statusText[st]); }, {sticky: true});
                var item = {layer: m, school: i, status: st, entry: entry};
                items.push(item);
                bySchool[i] = item;
            });
            var h = holder().addTo(layers.schools[p]);
            schoolSets[p] = {holder: h, items: items, bySchool: bySchool};
            if (layers.uncovered && layers.uncovered[p]) {
                var rings = viewSet(layers.uncovered[p], 0);  // few: all of them, round every school not clustered
                items.forEach(function (it) {
                    if (!it.status) { return; }
                    var i = it.school, w = it.entry[2].filter(function (x) { return x[4]; })[0];
                    rings.items.push({ll: L.latLng(S.lat[i], S.lon[i]),
                        visible: function () { return inStation(S.station[i]) && (!big || map.hasLayer(it.layer)); },
                        make: function () {
                            var ring = L.circleMarker([S.lat[i], S.lon[i]], {radius: 17, color: style.status[2], weight: 3,
                                                                               dashArray: '6 3', fill: false, pane: 'gpSchools'});
                            ring.bindTooltip(function () {
                                var d = el('div'); el('b', '', d, S.name[i]);
                                d.appendChild(document.createTextNode(' · ' + statusText[it.status]));
                                el('br', '', d); d.appendChild(document.createTextNode(w[10] || statusText[it.status]));
                                return d;
                            }, {sticky: true});
                            return ring;
                        }});
                });
                ringSets[p] = rings;
            }
        });

        /* ---- posts ---- */
        var postSet = null, postDetail = null;
        if (layers.posts) {
            var postItems = [];
            postDetail = viewSet(layers.posts, big ? clusterOff : 0);
            P.id.forEach(function (id, k) {
                var ll = [P.lat[k], P.lon[k]], station = data.stations[P.station[k]];
                /* the post is a dot; its id badge is a label, placed where it fits (placeLabels) */
                var marker = L.circleMarker(ll, {radius: 4, color: '#ffffff', weight: 1.5, fill: true, fillColor: style.post,
                                                 fillOpacity: 1, pane: 'gpPosts', gpStatus: 0});
                marker.bindPopup(function () {
                    return table(text.post + ' ' + id, [
                        [text.station, station ? station.name + ' (' + station.id + ')' : ''],
                        [text.schools_served, P.schools[k].map(function (s) { return typeof s === 'number' ? S.name[s] : s; })],
                        [text.duty, P.duty[k]], [text.radius, Math.round(data.radius_m) + ' ' + text.m_unit],
                        [text.coords + ' (' + text.datum + ')', P.shown[k]]]);
                }, {maxWidth: 340});
                marker.bindTooltip(function () { return el('div', '', null, text.post + ' ' + id); }, {sticky: true});
                postItems.push({layer: marker, station: P.station[k], k: k});
                postDetail.items.push({ll: L.latLng(ll), visible: function () { return inStation(P.station[k]); }, make: function () {
                    return L.featureGroup([
                        L.circle(ll, {radius: data.radius_m, color: style.post, weight: 1.5, dashArray: '5 4', fill: true,
                                      fillColor: style.post, fillOpacity: 0.07, interactive: false})]);
                }});
            });
            postSet = {holder: holder('gp-cluster-post').addTo(layers.posts), items: postItems};
        }

        /* ---- stations ---- */
        var stationItems = [];
        if (layers.stations) {
            data.stations.forEach(function (s, k) {
                var m = L.marker([s.lat, s.lon], {icon: L.divIcon({html: el('div', 'gp-station', null, style.station_letter),
                    className: 'gp-icon', iconSize: [26, 26], iconAnchor: [13, 13]}), zIndexOffset: 1000});
                m.bindPopup(function () { return table(s.name + ' (' + s.id + ')', [[text.resources, s.resources], [text.used, s.used]]); },
                            {maxWidth: 340});
                m.bindTooltip(function () { return el('div', '', null, s.name); }, {sticky: true});
                stationItems.push({layer: m, k: k});
            });
        }

        /* ---- routes, arrows and stops, per period ---- */
        var routeSets = {};
        Object.keys(layers.routes || {}).forEach(function (p) {
            var group = layers.routes[p], items = [];
            var casings = L.featureGroup().addTo(group), lines = L.featureGroup().addTo(group);
            var arrowSet = viewSet(group, big ? detailZoom : 0, 90), stopSet = viewSet(group, big ? detailZoom : 0);
            (data.routes[p] || []).forEach(function (r, k) {
                var latlngs = unpack(r.line);
                var casing = L.polyline(latlngs, {color: '#ffffff', weight: 7, opacity: 0.8, interactive: false, smoothFactor: 1.5});
                var line = L.polyline(latlngs, {color: r.colour, weight: 4, opacity: 0.9, smoothFactor: 1.5});
                line.bindTooltip(function () {
                    return el('div', '', null, text.vehicle + ' ' + r.car + ' · ' + r.start + '–' + r.end + ' · ' + text.drive + ' '
                              + r.km.toFixed(1) + ' ' + text.km_unit + ' · ' + text.stops + ' ' + r.stops);
                }, {sticky: true});
                line.on('click', function () { highlight(p, k); });
                items.push({casing: casing, line: line, route: r, latlngs: latlngs, t: cumsum(r.t), station: r.station});
                for (var a = 0; a + 2 < r.arrows.length; a += 3) {
                    (function (lat, lon, bearing) {
                        arrowSet.items.push({ll: L.latLng(lat, lon), line: k, visible: function () { return inStation(r.station); }, make: function () {
                            var d = el('div', 'gp-arrow');
                            d.style.transform = 'rotate(' + bearing + 'deg)';
                            d.style.borderBottomColor = r.colour;
                            return L.marker([lat, lon], {icon: L.divIcon({className: 'gp-icon', html: d, iconSize: [10, 10], iconAnchor: [5, 5]}),
                                                         interactive: false, keyboard: false});
                        }});
                    })(r.arrows[a], r.arrows[a + 1], r.arrows[a + 2]);
                }
            });
            (data.visits[p] || []).forEach(function (v) {
                var r = v[0] >= 0 ? data.routes[p][v[0]] : null, colour = r ? r.colour : '#1f5fbf';
                var car = r ? r.car : '', school = v[2] >= 0 ? S.name[v[2]] : '';
                stopSet.items.push({ll: L.latLng(v[5], v[6]), visible: function () { return inStation(r ? r.station : -1); }, make: function () {
                    var m = L.circleMarker([v[5], v[6]], {radius: 4, color: colour, weight: 2, fill: true, fillColor: '#ffffff', fillOpacity: 1});
                    m.bindTooltip(function () {
                        return el('div', '', null, car + ' · ' + fmt(text.stop, {seq: v[1]}) + ' · ' + school + ' · ' + hhmm(v[3]) + '–' + hhmm(v[4]));
                    }, {sticky: true});
                    if (v[2] >= 0) { m.on('click', function () { focusSchool(v[2], p); }); }
                    return m;
                }});
            });
            routeSets[p] = {casings: casings, lines: lines, items: items, group: group};
        });
        function routeLayers(p) {
            var set = routeSets[p];
            if (!set) { return; }
            var shown = set.items.filter(function (it) { return inStation(it.station); });
            fill(set.casings, shown.map(function (it) { return it.casing; }));
            fill(set.lines, shown.map(function (it) { return it.line; }));
        }
        /* at city scale the routes are drawn thin and light below the detail zoom, full from it */
        function routeStyle(it, j, hl) {
            var z = map.getZoom(), thin = big && z < detailZoom, on = !hl || j === hl.k;
            var weight = hl && j === hl.k ? 7 : thin ? (z < detailZoom - 1 ? 1.5 : 2.5) : 4;
            it.line.setStyle({weight: weight, opacity: on ? (thin && !hl ? 0.6 : 0.95) : 0.15});
            it.casing.setStyle({opacity: thin || !on ? 0 : 0.8, weight: weight + 3});
        }
        var routeLook = null;
        function styleRoutes() {
            var z = map.getZoom(), hl = state.highlight;
            var look = [big && z < detailZoom ? (z < detailZoom - 1 ? 2 : 1) : 0, hl ? hl.period + '/' + hl.k : ''].join();
            if (look === routeLook) { return; }  // restyle only when the zoom class or the highlight changes
            routeLook = look;
            Object.keys(routeSets).forEach(function (p) {
                var set = routeSets[p], hl = state.highlight && state.highlight.period === p ? state.highlight : null;
                set.items.forEach(function (it, j) { routeStyle(it, j, hl); });
                /* thin lines have no white casing: off the map, they cost no drawing either */
                var cased = !(big && map.getZoom() < detailZoom);
                if (cased && !set.group.hasLayer(set.casings)) { set.group.addLayer(set.casings); set.casings.bringToBack(); }
                if (!cased && set.group.hasLayer(set.casings)) { set.group.removeLayer(set.casings); }
            });
        }
        function highlight(p, k) {
            var set = routeSets[p];
            if (!set) { return; }
            var same = state.highlight && state.highlight.period === p && state.highlight.k === k;
            state.highlight = same ? null : {period: p, k: k, car: set.items[k].route.car};
            api.highlighted = state.highlight ? state.highlight.car : null;
            styleRoutes();
            if (state.highlight) { set.items[k].casing.bringToFront(); set.items[k].line.bringToFront(); }
            if (state.highlight) { fitTo(L.latLngBounds(set.items[k].latlngs)); }
            timeline.mark();
        }

        /* ---- filling the layers for the period and the station ---- */
        function refill() {
            Object.keys(schoolSets).forEach(function (p) {
                var set = schoolSets[p];
                fill(set.holder, set.items.filter(function (it) { return inStation(S.station[it.school]); }).map(function (it) { return it.layer; }));
            });
            if (postSet) { postsShown = null; }
            if (layers.stations) {
                fill(layers.stations, stationItems.filter(function (it) { return inStation(it.k); }).map(function (it) { return it.layer; }));
            }
            Object.keys(routeSets).forEach(routeLayers);
            refreshDetail();
        }
        var postsShown = null;
        function refreshPosts() {
            /* posts are street-level objects: at city scale they appear from the zoom before the detail zoom */
            if (!postSet) { return; }
            var show = !big || map.getZoom() >= detailZoom - 1;
            if (show === postsShown) { return; }
            postsShown = show;
            fill(postSet.holder, show ? postSet.items.filter(function (it) { return inStation(it.station); })
                                           .map(function (it) { return it.layer; }) : []);
        }
        function refreshDetail() {
            refreshPosts();
            styleRoutes();
            viewSets.forEach(function (v) { v.refresh(); });
            if (minorRoads && layers.roads) {
                var show = !big || map.getZoom() >= detailZoom - 1;
                if (show && !layers.roads.hasLayer(minorRoads)) { layers.roads.addLayer(minorRoads); minorRoads.bringToBack(); }
                if (!show && layers.roads.hasLayer(minorRoads)) { layers.roads.removeLayer(minorRoads); }
            }
            placeLabels();
        }

        /* ---- labels where they fit ---- */
        var labelLayer = L.layerGroup().addTo(map), measure = document.createElement('canvas').getContext('2d');
        var labelFont = 'bold 12px ' + getComputedStyle(map.getContainer()).fontFamily;
        function textWidth(s) { measure.font = labelFont; return Math.ceil(measure.measureText(s).width) + 8; }
        function placeLabels() {
            labelLayer.clearLayers();
            var zoom = map.getZoom(), size = map.getSize(), placed = [], obstacles = [], candidates = [];
            /* the panels in the corners and the post badges are obstacles too */
            var origin = map.getContainer().getBoundingClientRect();
            Array.prototype.forEach.call(map.getContainer().querySelectorAll('.leaflet-control'), function (c) {
                var r = c.getBoundingClientRect();
                if (r.width && r.height) { obstacles.push([r.left - origin.left, r.top - origin.top, r.right - origin.left, r.bottom - origin.top]); }
            });
            if (postSet && postsShown && map.hasLayer(postSet.holder) && (!big || zoom >= clusterOff)) {
                var view = map.getBounds();
                P.id.forEach(function (id, k) {
                    if (!inStation(P.station[k]) || !view.contains([P.lat[k], P.lon[k]])) { return; }
                    var q = map.latLngToContainerPoint([P.lat[k], P.lon[k]]);
                    obstacles.push([q.x - 4, q.y - 4, q.x + 4, q.y + 4, 'p' + k]);
                    candidates.push({ll: L.latLng(P.lat[k], P.lon[k]), text: id, rank: 4, r: 6, cls: 'gp-post', key: k,
                                     own: 'p' + k, below: true});
                });
            }
            if (layers.stations && map.hasLayer(layers.stations)) {
                data.stations.forEach(function (s, k) {
                    if (inStation(k)) { candidates.push({ll: L.latLng(s.lat, s.lon), text: s.name, rank: 0, r: 13, cls: 'gp-label gp-label-station', key: k}); }
                });
            }
            /* cluster icons are obstacles; a clustered school gets no label until its cluster opens */
            Array.prototype.forEach.call(map.getPane('markerPane').querySelectorAll('.gp-cluster-icon'), function (c) {
                var r = c.getBoundingClientRect();
                obstacles.push([r.left - origin.left, r.top - origin.top, r.right - origin.left, r.bottom - origin.top, undefined, 'cluster']);
            });
            var set = schoolSets[state.period];
            if (set && layers.schools[state.period] && map.hasLayer(layers.schools[state.period])) {
                var bounds = map.getBounds();
                set.items.forEach(function (it) {
                    var i = it.school, ll = L.latLng(S.lat[i], S.lon[i]);
                    if (!inStation(S.station[i]) || !bounds.contains(ll) || !map.hasLayer(it.layer)) { return; }
                    var r = it.layer.options.radius;
                    var pt = map.latLngToContainerPoint(ll);
                    obstacles.push([pt.x - r, pt.y - r, pt.x + r, pt.y + r, i]);
                    candidates.push({ll: ll, text: S.name[i], rank: 3 - it.status, enrol: S.enrol[i], r: r,
                                     cls: 'gp-label' + (it.status === 2 ? ' gp-label-missed' : ''), key: i, own: i});
                });
            }
            candidates.sort(function (a, b) { return a.rank - b.rank || (b.enrol || 0) - (a.enrol || 0) || a.key - b.key; });
            function free(box, own, overClusters) {
                if (box[0] < 0 || box[1] < 0 || box[2] > size.x || box[3] > size.y) { return false; }
                var all = placed.concat(obstacles);
                for (var j = 0; j < all.length; j++) {
                    var o = all[j];
                    if (o[4] !== undefined && o[4] === own) { continue; }
                    if (overClusters && o[5] === 'cluster') { continue; }
                    if (box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1]) { return false; }
                }
                return true;
            }
            var count = 0, badges = 0;
            candidates.forEach(function (c) {
                if (count + badges >= 400) { return; }
                var pt = map.latLngToContainerPoint(c.ll), w = textWidth(c.text), h = c.below ? 19 : 16, r = c.r + 2;
                var spots = [[-w / 2, -r - h], [r, -h / 2], [-w / 2, r], [-r - w, -h / 2]];
                if (c.below) { spots = [spots[2], spots[1], spots[3], spots[0]]; }  // a post's badge hangs below it first
                for (var j = 0; j < spots.length; j++) {
                    var box = [pt.x + spots[j][0], pt.y + spots[j][1], pt.x + spots[j][0] + w, pt.y + spots[j][1] + h];
                    if (free(box, c.own, c.rank === 0)) {  // a station's name may cover a cluster
                        placed.push(box);
                        var d = el('div', c.cls, null, c.text);
                        L.marker(c.ll, {icon: L.divIcon({className: 'gp-label-icon', html: d, iconSize: [w, h],
                                        iconAnchor: [-spots[j][0], -spots[j][1]]}), interactive: false, keyboard: false,
                                        pane: 'gpLabels'}).addTo(labelLayer);
                        if (c.below) { badges++; } else { count++; }
                        return;
                    }
                }
            });
            api.labels = count;
            api.badges = badges;
        }

        /* ---- the view: fit inside the panels ---- */
        function fitTo(bounds, maxZoom) {
            var corners = map._controlCorners, mapBox = map.getContainer().getBoundingClientRect();
            function box(c) { var r = corners[c].getBoundingClientRect(); return {w: r.width, h: r.height}; }
            var tl = box('topleft'), bl = box('bottomleft'), tr = box('topright'), br = box('bottomright');
            var left = Math.min(tl.w + 12, mapBox.width * 0.4), right = Math.min(Math.max(br.w, tr.w) + 12, mapBox.width * 0.3);
            var bottom = Math.min(bl.h + 12, mapBox.height * 0.3);
            map.fitBounds(bounds, {paddingTopLeft: [left, 12], paddingBottomRight: [right, bottom], maxZoom: maxZoom || 18, animate: false});
        }
        function stationBounds(k) {
            var pts = [];
            if (data.stations[k]) { pts.push([data.stations[k].lat, data.stations[k].lon]); }
            for (var i = 0; i < nSchools; i++) { if (S.station[i] === k) { pts.push([S.lat[i], S.lon[i]]); } }
            P.id.forEach(function (id, j) { if (P.station[j] === k) { pts.push([P.lat[j], P.lon[j]]); } });
            Object.keys(routeSets).forEach(function (p) {
                routeSets[p].items.forEach(function (it) { if (it.station === k) { pts = pts.concat(it.latlngs); } });
            });
            return pts.length ? L.latLngBounds(pts) : null;
        }

        /* ---- period and station ---- */
        function setLayer(group, on) {
            if (!group) { return; }
            if (on && !map.hasLayer(group)) { map.addLayer(group); }
            if (!on && map.hasLayer(group)) { map.removeLayer(group); }
        }
        function showPeriod(p) {
            if (!(p in periodName)) { return; }
            state.period = p;
            ['schools', 'uncovered', 'routes'].forEach(function (kind) {
                Object.keys(layers[kind] || {}).forEach(function (q) { setLayer(layers[kind][q], q === p); });
            });
            var reachOn = Object.keys(layers.reach || {}).some(function (q) { return map.hasLayer(layers.reach[q]); });
            if (reachOn) { Object.keys(layers.reach).forEach(function (q) { setLayer(layers.reach[q], q === p); }); }
            periodSelect.value = p;
            if (state.highlight && state.highlight.period !== p) { state.highlight = null; api.highlighted = null; }
            anim.setPeriod(p);
            timeline.draw();
            printHead();
            placeLabels();
        }
        function setStation(k) {
            state.station = k;
            stationSelect.value = String(k);
            if (state.highlight) { highlight(state.highlight.period, state.highlight.k); }
            refill();
            anim.setPeriod(state.period);
            timeline.draw();
            missed.draw();
            printHead();
            var b = k >= 0 ? stationBounds(k) : L.latLngBounds(data.bounds);
            if (b) { fitTo(b, 17); }
        }
        function focusSchool(i, p) {
            if (typeof i === 'string') { i = S.id.indexOf(i); }
            if (i < 0 || i >= nSchools) { return false; }
            if (p && p !== state.period) { showPeriod(p); }
            if (state.station >= 0 && S.station[i] !== state.station) { setStation(-1); }
            var ll = L.latLng(S.lat[i], S.lon[i]), set = schoolSets[state.period], item = set && set.bySchool[i];
            if (layers.schools[state.period]) { setLayer(layers.schools[state.period], true); }
            map.setView(ll, Math.max(map.getZoom(), big ? clusterOff + 1 : 16), {animate: false});
            if (state.found) { map.removeLayer(state.found); }
            state.found = L.circleMarker(ll, {radius: 22, color: '#111', weight: 3, fill: false, interactive: false,
                                              className: 'gp-found'}).addTo(map);
            if (item && !map.hasLayer(item.layer) && set.holder.zoomToShowLayer) {
                set.holder.zoomToShowLayer(item.layer, function () { item.layer.openPopup(); });
            } else if (item) { item.layer.openPopup(); }
            else {
                var body = table(S.name[i] + ' (' + S.id[i] + ')', [[text.window, text.no_window]]);
                L.popup(popupOptions).setLatLng(ll).setContent(body).openOn(map);
            }
            api.focused = S.id[i];
            return true;
        }

        /* ---- toolbar: search, period, station, missed list, timeline, print ---- */
        var bar = el('div', 'gp-toolbar leaflet-bar');
        var search = el('input', '', bar);
        search.type = 'search';
        search.placeholder = text.search;
        search.setAttribute('aria-label', text.search);
        var results = el('ul', 'gp-results', bar);
        var row = el('div', 'gp-row', bar);
        var periodSelect = el('select', 'gp-period', row);
        periodSelect.title = text.period;
        data.periods.forEach(function (p) { var o = el('option', '', periodSelect, p.name); o.value = p.id; });
        var stationSelect = el('select', 'gp-station-filter', row);
        stationSelect.title = text.station;
        el('option', '', stationSelect, text.all_stations).value = '-1';
        data.stations.map(function (s, k) { return [s, k]; }).filter(function (x) { return !x[0].pool; })
            .forEach(function (x) { el('option', '', stationSelect, x[0].name + ' (' + x[0].id + ')').value = String(x[1]); });
        var row2 = el('div', 'gp-row', bar);
        var missedButton = el('button', 'gp-missed-button', row2), timelineButton = el('button', 'gp-timeline-button', row2, text.timeline);
        missedButton.type = timelineButton.type = 'button';
        el('span', '', row2, text.print + ':');
        var printA4 = el('button', 'gp-print-a4', row2, text.print_a4), printA3 = el('button', 'gp-print-a3', row2, text.print_a3);
        printA4.type = printA3.type = 'button';
        L.DomEvent.disableClickPropagation(bar);
        L.DomEvent.disableScrollPropagation(bar);

        var hits = [], active = 0;
        function find(q) {
            q = q.trim().toLowerCase();
            if (!q) { return []; }
            var scored = [];
            for (var i = 0; i < nSchools; i++) {
                var score = -1, name = searchName[i], id = searchId[i], py = S.py[i] || '';
                if (id === q) { score = 0; }
                else if (name === q) { score = 1; }
                else if (name.indexOf(q) === 0 || id.indexOf(q) === 0) { score = 2; }
                else if (name.indexOf(q) >= 0) { score = 3; }
                else if (py && py.indexOf(q) === 0) { score = 4; }
                else if (py && py.indexOf(q) >= 0) { score = 5; }
                else if (id.indexOf(q) >= 0) { score = 6; }
                if (score >= 0) { scored.push([score, name.length, i]); }
            }
            scored.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]; });
            return scored.slice(0, 12).map(function (x) { return x[2]; });
        }
        function showHits() {
            results.textContent = '';
            hits.forEach(function (i, k) {
                var li = el('li', k === active ? 'gp-active' : '', results);
                el('span', 'gp-hit-name', li, S.name[i]);
                el('small', '', li, S.id[i] + (data.stations[S.station[i]] ? ' · ' + data.stations[S.station[i]].name : ''));
                li.addEventListener('click', function () { pick(i); });
            });
            if (search.value.trim() && !hits.length) { el('li', '', results, text.no_match); }
        }
        function pick(i) { hits = []; results.textContent = ''; search.value = S.name[i]; focusSchool(i); }
        search.addEventListener('input', function () { hits = find(search.value); active = 0; showHits(); });
        search.addEventListener('keydown', function (e) {
            if (e.key === 'ArrowDown') { active = Math.min(active + 1, hits.length - 1); showHits(); e.preventDefault(); }
            else if (e.key === 'ArrowUp') { active = Math.max(active - 1, 0); showHits(); e.preventDefault(); }
            else if (e.key === 'Enter') {
                if (!hits.length) { hits = find(search.value); active = 0; }
                if (hits.length) { pick(hits[active]); }
                e.preventDefault();
            } else if (e.key === 'Escape') { hits = []; showHits(); }
        });
        periodSelect.addEventListener('change', function () { showPeriod(periodSelect.value); });
        stationSelect.addEventListener('change', function () { setStation(+stationSelect.value); });

        /* ---- the list of schools that miss the three sightings ---- */
        var missedBox = el('div', 'gp-missed leaflet-bar');
        missedBox.style.display = 'none';
        L.DomEvent.disableClickPropagation(missedBox);
        L.DomEvent.disableScrollPropagation(missedBox);
        var missed = {
            entries: function () {
                var out = [];
                data.periods.forEach(function (p) {
                    (data.windows[p.id] || []).forEach(function (e) {
                        if (e[1] && inStation(S.station[e[0]])) { out.push([p.id, e]); }
                    });
                });
                return out;
            },
            draw: function () {
                var entries = missed.entries();
                missedButton.textContent = text.missed_list + ' (' + entries.length + ')';
                missedBox.textContent = '';
                el('h3', '', missedBox, text.missed_list + ' (' + entries.length + ')');
                if (!entries.length) { el('div', '', missedBox, text.all_met); return; }
                var list = el('ol', '', missedBox);
                entries.forEach(function (x) {
                    var p = x[0], e = x[1], i = e[0];
                    var li = el('li', 'gp-missed-item', list);
                    var b = el('b', '', li, S.name[i]);
                    b.style.color = style.status[e[1]];
                    var reason = e[2].map(function (w) { return w[10]; }).filter(Boolean).join('; ');
                    el('small', '', li, ' ' + S.id[i] + ' · ' + periodName[p] + ' · ' + statusText[e[1]] + (reason ? ' · ' + reason : ''));
                    li.setAttribute('data-school', S.id[i]);
                    li.addEventListener('click', function () { focusSchool(i, p); });
                });
            }
        };
        missedButton.addEventListener('click', function () {
            var open = missedBox.style.display === 'none';
            missedBox.style.display = open ? '' : 'none';
            missedButton.classList.toggle('gp-on', open);
            placeLabels();
        });

        /* ---- the timeline: each car's stops against the clock ---- */
        var timelineBox = el('div', 'gp-timeline leaflet-bar');
        timelineBox.style.display = 'none';
        L.DomEvent.disableClickPropagation(timelineBox);
        L.DomEvent.disableScrollPropagation(timelineBox);
        var timeline = {
            range: [0, 1], now: null,
            draw: function () {
                timelineBox.textContent = '';
                var p = state.period, set = routeSets[p];
                var head = el('h3', '', timelineBox, text.timeline + ' · ' + (periodName[p] || ''));
                var close = el('button', '', head, '×');
                close.type = 'button';
                close.title = text.close;
                close.addEventListener('click', function () { toggleTimeline(false); });
                el('div', 'gp-tl-hint', timelineBox, text.timeline_hint);
                if (!set) { el('div', '', timelineBox, text.none); return; }
                var items = set.items.map(function (it, k) { return [it, k]; }).filter(function (x) { return inStation(x[0].station) && x[0].t.length; });
                var lo = Infinity, hi = -Infinity;
                items.forEach(function (x) { lo = Math.min(lo, x[0].t[0]); hi = Math.max(hi, x[0].t[x[0].t.length - 1]); });
                if (!items.length) { el('div', '', timelineBox, text.none); return; }
                lo = Math.floor(lo / 900) * 900; hi = Math.ceil(hi / 900) * 900; if (hi <= lo) { hi = lo + 900; }
                timeline.range = [lo, hi];
                function x(s) { return (100 * (s - lo) / (hi - lo)).toFixed(3) + '%'; }
                var axis = el('div', 'gp-tl-axis', timelineBox);
                el('div', 'gp-tl-name', axis, text.vehicle);
                var scale = el('div', 'gp-tl-track', axis), step = hi - lo > 4 * 3600 ? 3600 : 1800;
                for (var s = Math.ceil(lo / step) * step; s <= hi; s += step) { el('span', 'gp-tl-tick', scale, hhmm(s)).style.left = x(s); }
                var stops = {};
                (data.visits[p] || []).forEach(function (v) { (stops[v[0]] = stops[v[0]] || []).push(v); });
                timeline.rows = [];
                items.forEach(function (pair) {
                    var it = pair[0], k = pair[1], r = it.route;
                    var rowEl = el('div', 'gp-tl-row', timelineBox);
                    rowEl.setAttribute('data-car', r.car);
                    el('div', 'gp-tl-name', rowEl, r.car).title = r.car;
                    var track = el('div', 'gp-tl-track', rowEl);
                    var span = el('div', 'gp-tl-span', track);
                    span.style.left = x(it.t[0]);
                    span.style.width = (100 * (it.t[it.t.length - 1] - it.t[0]) / (hi - lo)).toFixed(3) + '%';
                    span.style.background = r.colour;
                    (stops[k] || []).forEach(function (v) {
                        var b = el('div', 'gp-tl-stop', track);
                        b.style.left = x(v[3]);
                        b.style.width = (100 * (v[4] - v[3]) / (hi - lo)).toFixed(3) + '%';
                        b.style.background = r.colour;
                        b.title = (v[2] >= 0 ? S.name[v[2]] : '') + ' · ' + text.arrive + ' ' + hhmm(v[3]) + ' · ' + text.depart + ' ' + hhmm(v[4]);
                        if (v[2] >= 0) { b.addEventListener('click', function (e) { e.stopPropagation(); focusSchool(v[2], p); }); }
                    });
                    rowEl.addEventListener('click', function () { highlight(p, k); });
                    timeline.rows.push({el: rowEl, k: k, track: track});
                });
                timeline.mark();
                timeline.tick(anim.time());
            },
            mark: function () {
                (timeline.rows || []).forEach(function (r) {
                    r.el.classList.toggle('gp-on', !!state.highlight && state.highlight.period === state.period && state.highlight.k === r.k);
                });
            },
            tick: function (t) {
                (timeline.rows || []).forEach(function (r) {
                    var now = r.track.querySelector('.gp-tl-now') || el('div', 'gp-tl-now', r.track);
                    now.style.left = (100 * (t - timeline.range[0]) / (timeline.range[1] - timeline.range[0])).toFixed(3) + '%';
                });
            }
        };
        function toggleTimeline(open) {
            timelineBox.style.display = open ? '' : 'none';
            timelineButton.classList.toggle('gp-on', open);
            if (open) { timeline.draw(); }
            placeLabels();
        }
        timelineButton.addEventListener('click', function () { toggleTimeline(timelineBox.style.display === 'none'); });

        /* ---- the car animation ---- */
        var anim = (function () {
            var box = el('div', 'gp-anim leaflet-bar');
            var select = el('select', '', box);
            data.periods.forEach(function (p) { if (routeSets[p.id]) { var o = el('option', '', select, p.name); o.value = p.id; } });
            var button = el('button', '', box);
            button.type = 'button';
            var slider = el('input', '', box);
            slider.type = 'range';
            slider.step = 1;
            var clock = el('span', 'gp-clock', box);
            var speed = el('select', '', box);
            speed.title = text.speed;
            [30, 60, 120, 300].forEach(function (k) { var o = el('option', '', speed, '×' + k); o.value = k; if (k === 60) { o.selected = true; } });
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            var st = {period: null, t: 0, timer: null, speed: 60, dots: []};
            function where(it, t) {
                var ts = it.t, n = ts.length;
                if (!n || t < ts[0] || t > ts[n - 1]) { return null; }
                var lo = 0, hi = n - 1;
                while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (ts[mid] <= t) { lo = mid; } else { hi = mid; } }
                var span = ts[hi] - ts[lo], f = span > 0 ? (t - ts[lo]) / span : 0, a = it.latlngs[lo], b = it.latlngs[hi];
                return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])];
            }
            function range() {
                var lo = Infinity, hi = -Infinity;
                st.dots.forEach(function (d) { lo = Math.min(lo, d.it.t[0]); hi = Math.max(hi, d.it.t[d.it.t.length - 1]); });
                return lo <= hi ? [lo, hi] : [0, 0];
            }
            function draw() {
                st.dots.forEach(function (d) {
                    var ll = where(d.it, st.t);
                    if (ll) { d.marker.setLatLng(ll); if (!layers.animation.hasLayer(d.marker)) { layers.animation.addLayer(d.marker); } }
                    else if (layers.animation.hasLayer(d.marker)) { layers.animation.removeLayer(d.marker); }
                });
                clock.textContent = hhmmss(st.t);
                slider.value = st.t;
                timeline.tick(st.t);
            }
            function setPeriod(p) {
                stop();
                if (!routeSets[p]) { p = select.value; }
                st.period = p;
                select.value = p;
                st.dots.forEach(function (d) { layers.animation.removeLayer(d.marker); });
                st.dots = (routeSets[p] ? routeSets[p].items : []).filter(function (it) { return it.t.length && inStation(it.station); })
                    .map(function (it) {
                        var m = L.circleMarker(it.latlngs[0], {radius: 8, color: '#ffffff', weight: 2.5, fillColor: it.route.colour,
                                                               fillOpacity: 1, pane: 'gpCars'});
                        m.bindTooltip(function () { return el('div', '', null, it.route.car); });
                        return {it: it, marker: m};
                    });
                var r = range();
                slider.min = r[0]; slider.max = r[1]; st.t = r[0];
                draw();
            }
            function stop() { if (st.timer) { clearInterval(st.timer); st.timer = null; } button.textContent = '▶ ' + text.play; }
            function play() {
                if (st.timer) { stop(); return; }
                var r = range();
                if (st.t >= r[1]) { st.t = r[0]; }
                button.textContent = '❚❚ ' + text.pause;
                st.timer = setInterval(function () {
                    st.t = Math.min(r[1], st.t + st.speed * 0.1);
                    draw();
                    if (st.t >= r[1]) { stop(); }
                }, 100);
            }
            button.addEventListener('click', play);
            select.addEventListener('change', function () { showPeriod(select.value); });
            speed.addEventListener('change', function () { st.speed = +speed.value; });
            slider.addEventListener('input', function () { st.t = +slider.value; draw(); });
            stop();
            return {box: box, setPeriod: setPeriod, time: function () { return st.t; }};
        })();

        /* ---- print ---- */
        var printPeriod = document.querySelector('.gp-print-period'), printStation = document.querySelector('.gp-print-station');
        function printHead() {
            if (printPeriod) { printPeriod.textContent = text.period + ' ' + (periodName[state.period] || ''); }
            if (printStation) { printStation.textContent = state.station >= 0 ? ' · ' + data.stations[state.station].name : ''; }
        }
        /* printing from the toolbar: the map takes the printed page's size (landscape, 8 mm margins, 12 mm
           header; CSS pixels of 1/96 inch) and shows what the screen showed, then comes back */
        var PAGE_MM = {A4: [297, 210], A3: [420, 297]}, sizeClass = null;
        function preparePrint(size) {
            var mm = PAGE_MM[size] || PAGE_MM.A4;
            document.getElementById('gp-page-size').textContent = '@page { size: ' + size + ' landscape; margin: 8mm; }';
            var box = map.getContainer();
            box.style.setProperty('width', Math.floor((mm[0] - 16) * 96 / 25.4) + 'px', 'important');
            box.style.setProperty('height', Math.floor((mm[1] - 16 - 13) * 96 / 25.4) + 'px', 'important');
            sizeClass = {centre: map.getCenter(), zoom: map.getZoom(), bounds: map.getBounds()};
            map.invalidateSize({animate: false});
            fitExactly(sizeClass.bounds);
        }
        function endPrint() {
            if (!sizeClass) { return; }
            var box = map.getContainer(), view = sizeClass;
            box.style.removeProperty('width');
            box.style.removeProperty('height');
            sizeClass = null;
            screenView = null;
            map.invalidateSize({animate: false});
            map.setView(view.centre, view.zoom, {animate: false});
        }
        function print(size) { preparePrint(size); global.print(); endPrint(); }
        api.preparePrint = preparePrint;
        api.endPrint = endPrint;
        printA4.addEventListener('click', function () { print('A4'); });
        printA3.addEventListener('click', function () { print('A3'); });
        /* the printed page is another size: keep what the screen showed in view, and come back after */
        var screenView = null;
        function fitExactly(bounds) {  // a fractional zoom, so that the page shows what the screen showed, no less
            var snap = map.options.zoomSnap;
            map.options.zoomSnap = 0;
            map.fitBounds(bounds, {animate: false});
            map.options.zoomSnap = snap;
        }
        function toPrint() {
            if (screenView || sizeClass) { return; }  // the toolbar's print has sized the map already
            screenView = {centre: map.getCenter(), zoom: map.getZoom(), bounds: map.getBounds()};
            map.invalidateSize({animate: false});
            fitExactly(screenView.bounds);
        }
        function toScreen() {
            if (!screenView || sizeClass) { return; }
            var view = screenView;
            screenView = null;
            map.invalidateSize({animate: false});
            map.setView(view.centre, view.zoom, {animate: false});
        }
        global.addEventListener('beforeprint', toPrint);
        global.addEventListener('afterprint', toScreen);
        if (global.matchMedia) {
            var printing = global.matchMedia('print'), onChange = function (e) { if (e.matches) { toPrint(); } else { toScreen(); } };
            if (printing.addEventListener) { printing.addEventListener('change', onChange); } else { printing.addListener(onChange); }
        }
        api.print = print;

        /* ---- controls in the corners ---- */
        function control(node, position) {
            var C = L.Control.extend({options: {position: position}, onAdd: function () { return node; }});
            return new C().addTo(map);
        }
        control(bar, 'topleft');
        var headline = document.querySelector('.gp-headline'), legend = document.querySelector('.gp-legend');
        [headline, legend].forEach(function (panel) {
            if (!panel) { return; }
            var h = panel.querySelector('h3');
            if (h) { h.addEventListener('click', function () { panel.classList.toggle('gp-folded'); placeLabels(); }); }
            L.DomEvent.disableClickPropagation(panel);
            L.DomEvent.disableScrollPropagation(panel);
        });
        if (headline) { control(headline, 'topleft'); }
        control(missedBox, 'topright');
        var north = el('div', 'gp-north leaflet-bar');
        var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
        svg.setAttribute('width', '22'); svg.setAttribute('height', '26'); svg.setAttribute('viewBox', '0 0 22 26');
        var arrow = document.createElementNS('http://www.w3.org/2000/svg', 'path');
        arrow.setAttribute('d', 'M11 1 L20 25 L11 19 L2 25 Z'); arrow.setAttribute('fill', '#111');
        svg.appendChild(arrow);
        north.appendChild(svg);
        el('div', '', north, text.north);
        control(north, 'topright');
        if (legend) { control(legend, 'bottomright'); }
        L.control.scale({metric: true, imperial: false, maxWidth: 160, position: 'bottomright'}).addTo(map);
        control(anim.box, 'bottomleft');
        control(timelineBox, 'bottomleft');

        /* ---- first view ---- */
        map.on('zoomend moveend', refreshDetail);
        map.on('overlayadd overlayremove', function () { placeLabels(); });
        if (data.period) { periodSelect.value = data.period; }
        refill();
        missed.draw();
        printHead();
        if (data.period) { anim.setPeriod(data.period); }
        fitTo(L.latLngBounds(data.bounds));
        refreshDetail();
        if (document.fonts && document.fonts.ready) { document.fonts.ready.then(function () { placeLabels(); }); }

        api.focusSchool = focusSchool;
        api.setStation = function (id) { var k = -1; data.stations.forEach(function (s, j) { if (s.id === id) { k = j; } }); setStation(k); };
        api.showPeriod = showPeriod;
        api.refresh = refreshDetail;
        api.highlight = highlight;
        api.find = function (q) { return find(q).map(function (i) { return S.id[i]; }); };
        api.ready = true;
        document.documentElement.setAttribute('data-gp-ready', '1');
        return api;
    };
})(window);
