"""The embedded demo county 示范县: a complete scenario written as a planner's own files.

:func:`make_demo` writes a fictional but realistic county in central China (centred on
115.46°E, 29.38°N, about 40 km × 30 km) into a folder, in exactly the formats a planner brings,
so the demo goes through the same loaders as real data:

- ``roads.osm.gz``: OSM XML 0.6, gzip-compressed. A county town (县城, 城关镇) with a dense street
  grid (residential, tertiary and secondary streets, one pair of one-way streets in each
  direction) inside a primary ring road (环城路); four towns (镇) with small grids; a trunk road
  (352国道) west–east and a primary road (208省道) north–south through the county town; county
  roads (县道, secondary) from the county town to every town and tertiary roads between
  neighbouring towns; unclassified village roads (村道) to about 170 villages, each with one or two
  residential village streets; footways from school gates through the street blocks.
  Streets carry a node every 50–120 m, with a little deterministic jitter.
- ``schools.csv``: about 160 schools with Chinese headers, GB18030-encoded (what Chinese Excel
  writes), with the staggered bell times of Chinese schools.
- ``stations.csv``: six police stations (UTF-8 with BOM, Chinese headers).
- ``sites.csv``: ten candidate post sites, four of them existing kiosks (治安岗亭).
- ``scenario.toml``: the scenario file tying them together, with every parameter spelt out.
- ``README.md``: what the demo is and its counts.

Geometry is built on a local plane in metres (x east, y north) around the centre and converted to
WGS-84 degrees with an equirectangular projection (error well under 1 % over the county).

Construction, in order:

1. Settlements: the county town, four towns, four points where the through roads leave the county
   and about 170 villages (rejection sampling, at least 1.4 km apart).
2. Rural roads are chosen among the edges of the Delaunay triangulation of the settlements (edges
   of a Delaunay triangulation never cross): edges through a town's built-up ellipse are dropped;
   the through roads and county roads are shortest paths on the remaining edges; then a minimum
   spanning tree joins every village, and short edges that save a long detour add loops. An edge
   ending at a town attaches to the town's ring road or to its grid's nearest intersection.
3. Schools sit beside street nodes: the gate is 10–40 m off a street node into the block (so
   always within 60 m of a drive node); some kindergartens stand 45–75 m beside a primary school
   on the same street, close enough for one post to cover both.

Every drive road is two-way except the one-way pairs, whose two streets run in opposite
directions between two-way streets, so the drive network is one strongly connected component;
:func:`make_demo` checks this and the gate distances before writing.

Writing is deterministic byte for byte for a seed: random numbers come only from
:meth:`random.Random.random` (whose sequence Python guarantees across versions), output is in
id order, the OSM file has no timestamps and its gzip header has ``mtime=0`` and no file name.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import heapq
import io
import logging
import math
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, cKDTree
from shapely import STRtree
from shapely.geometry import LineString

from geo_patrol.errors import InputError

logger = logging.getLogger(__name__)

#: Default seed of the demo county (the committed ``data/demo`` is generated with it).
DEFAULT_SEED = 20260901

#: Centre of the county, WGS-84 degrees.
CENTRE_LON = 115.46
CENTRE_LAT = 29.38

#: Half extent of the county, metres (40 km × 30 km).
HALF_WIDTH_M = 20_000.0
HALF_HEIGHT_M = 15_000.0

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(CENTRE_LAT))

#: OSM highway classes that make up the drive network.
DRIVE_HIGHWAYS = frozenset({"trunk", "primary", "secondary", "tertiary", "unclassified", "residential"})

_CLASS_RANK = {"trunk": 0, "primary": 1, "secondary": 2, "tertiary": 3, "unclassified": 4}

#: Largest distance, metres, between a school gate and the nearest drive-road node.
MAX_GATE_TO_ROAD_M = 60.0

_KIND_ZH = {
    "kindergarten": "幼儿园", "primary": "小学", "middle": "初中",
    "nine_year": "九年一贯制", "high": "高中", "special": "特殊教育",
}

#: Bell-time ranges per kind, minutes after midnight: (morning from, to), (afternoon from, to).
#: A school's window lies within its range (give or take 5 minutes), 30–50 minutes long.
_BELLS = {
    "high": ((6 * 60 + 50, 7 * 60 + 30), (17 * 60 + 40, 18 * 60 + 30)),
    "middle": ((7 * 60, 7 * 60 + 40), (17 * 60 + 10, 18 * 60)),
    "nine_year": ((7 * 60 + 20, 8 * 60), (16 * 60 + 50, 17 * 60 + 40)),
    "primary": ((7 * 60 + 30, 8 * 60 + 10), (16 * 60, 16 * 60 + 50)),
    "kindergarten": ((7 * 60 + 50, 8 * 60 + 40), (16 * 60 + 30, 17 * 60 + 20)),
    "special": ((8 * 60, 8 * 60 + 40), (16 * 60, 16 * 60 + 40)),
}

_TOWNS = (  # name, where (fraction of the half extents), ellipse semi-axes m, rotation deg
    ("青石镇", (-0.60, 0.50), (1250.0, 850.0), 20.0),
    ("河口镇", (0.58, 0.55), (1050.0, 720.0), -15.0),
    ("柳塘镇", (0.62, -0.55), (950.0, 650.0), 35.0),
    ("白沙镇", (-0.52, -0.58), (900.0, 620.0), -5.0),
)

_CITY_EW_MAIN = ("人民路", "解放路", "建设路", "新华路", "胜利路", "中山路", "长江路", "和平路", "振兴路")
_CITY_NS_MAIN = ("迎宾大道", "东风路", "五一路", "八一路", "学府路", "工业大道", "站前路", "滨河路", "文化路")
_STREET_WORDS = (
    "育才", "文昌", "书院", "桂花", "梧桐", "石板", "米市", "盐井", "鼓楼", "青云", "紫阳", "迎春",
    "朝阳", "向阳", "东门", "西门", "南门", "北门", "仓前", "府前", "兴隆", "永安", "太平", "平安",
    "吉祥", "幸福", "团结", "友谊", "光明", "民主", "红星", "新民", "安居", "复兴", "体育", "园林",
    "花园", "玉带", "锦绣", "金桂", "银杏", "丹桂", "荷花", "莲花", "翠竹", "清风", "明月", "凤凰",
    "龙泉", "柳荫", "杏林", "槐树", "双井", "三元", "四方", "五福", "六合", "七星", "九龙", "十里",
)
_TOWN_STREETS = (
    "正街", "新街", "老街", "河街", "中街", "后街", "横街", "东街", "西街", "南街", "北街", "前街",
    "上街", "下街", "桥街", "井街", "市场路", "学堂路", "粮站路", "油坊巷", "茶亭巷",
)
_VILLAGE_HEADS = (
    "王", "李", "张", "陈", "刘", "杨", "黄", "周", "吴", "徐", "胡", "朱", "高", "林", "何", "郭",
    "罗", "石", "枫", "柳", "桂", "新", "长", "大", "小", "东", "西", "南", "北", "上", "下", "白",
    "青", "金", "龙", "凤", "桃", "竹", "松", "梅", "荷", "马", "牛", "鹤", "雁", "泉", "田", "湖",
)
_VILLAGE_TAILS = (
    "家湾", "家畈", "家垄", "家冲", "家岭", "桥", "塘", "岭", "冲", "坪", "山", "港", "铺", "坳",
    "庄", "咀", "洲", "堰", "溪", "店", "湾", "畈", "垅", "林", "园", "坡",
)
_PRIVATE_KINDERGARTENS = (
    "阳光", "小太阳", "蓝天", "童心", "七彩", "金太阳", "贝贝", "启蒙", "育苗", "小天使", "爱心",
    "彩虹", "春蕾", "智慧树", "星星", "苗苗", "博雅", "新星", "金苹果", "小博士", "快乐宝贝", "希望",
    "英才", "未来星", "天天", "明珠", "童趣", "小白鸽", "红黄蓝", "育英", "百灵鸟", "小精灵", "开心",
    "花蕾", "晨曦", "东方", "小海豚", "向日葵",
)
_ORDINALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四")


# --------------------------------------------------------------------------- random numbers


class _Rng:
    """Random numbers drawn only through :meth:`random.Random.random`.

    Python guarantees the sequence of ``random()`` (and string seeding) across versions, unlike
    ``randrange``, ``choice`` or NumPy's generators, so the demo files stay byte-identical.
    Each construction stage has its own stream, named by ``stream``.
    """

    def __init__(self, seed: int, stream: str) -> None:
        self._random = random.Random(f"geo_patrol.demo:{seed}:{stream}")

    def random(self) -> float:
        return self._random.random()

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self._random.random()

    def integer(self, low: int, high: int) -> int:
        """Integer in ``[low, high]`` inclusive."""
        return low + min(int(self._random.random() * (high - low + 1)), high - low)

    def chance(self, probability: float) -> bool:
        return self._random.random() < probability

    def choice(self, items: Sequence):
        return items[self.integer(0, len(items) - 1)]

    def weighted(self, items: Sequence, weights: Sequence[float]):
        total = float(sum(weights))
        pick = self._random.random() * total
        for item, weight in zip(items, weights):
            pick -= weight
            if pick < 0:
                return item
        return items[-1]

    def shuffled(self, items: Sequence) -> list:
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = self.integer(0, i)
            out[i], out[j] = out[j], out[i]
        return out


# --------------------------------------------------------------------------- road builder


@dataclass
class _Way:
    nodes: list[int]
    tags: dict[str, str]


@dataclass
class _Front:
    """A street node a school gate can face: node id, unit tangent of the street, way index."""

    node: int
    tangent: tuple[float, float]
    way: int
    highway: str


@dataclass
class _Roads:
    """The growing road network: node coordinates in metres (node id = index + 1) and ways."""

    xy: list[tuple[float, float]] = field(default_factory=list)
    ways: list[_Way] = field(default_factory=list)

    def node(self, x: float, y: float) -> int:
        self.xy.append((x, y))
        return len(self.xy)

    def at(self, node: int) -> tuple[float, float]:
        return self.xy[node - 1]

    def way(self, nodes: list[int], tags: dict[str, str]) -> int:
        self.ways.append(_Way(list(nodes), dict(tags)))
        return len(self.ways) - 1

    def chain(self, anchors: Sequence[int], rng: _Rng, *, step_m: float, jitter_m: float,
              bulge_m: float = 0.0) -> list[int]:
        """Node list through ``anchors`` with intermediate nodes about every ``step_m`` metres.

        Intermediate nodes are moved sideways by up to ``jitter_m`` and, over the whole
        stretch between two anchors, by a smooth bow of ``bulge_m`` (signed) at its middle.
        """
        out = [anchors[0]]
        for a, b in zip(anchors[:-1], anchors[1:]):
            (x0, y0), (x1, y1) = self.at(a), self.at(b)
            length = math.hypot(x1 - x0, y1 - y0)
            count = max(1, round(length / step_m))
            if length > 0:
                nx, ny = -(y1 - y0) / length, (x1 - x0) / length
            else:
                nx = ny = 0.0
            for k in range(1, count):
                t = k / count
                side = bulge_m * math.sin(math.pi * t) + rng.uniform(-jitter_m, jitter_m)
                out.append(self.node(x0 + (x1 - x0) * t + nx * side, y0 + (y1 - y0) * t + ny * side))
            out.append(b)
        return out

    def fronts_of(self, way_index: int, *, skip: frozenset[int] = frozenset()) -> list[_Front]:
        """Every node of a way except ``skip`` as a :class:`_Front`."""
        way = self.ways[way_index]
        fronts = []
        for k, node in enumerate(way.nodes):
            if node in skip:
                continue
            a = way.nodes[max(k - 1, 0)]
            b = way.nodes[min(k + 1, len(way.nodes) - 1)]
            (xa, ya), (xb, yb) = self.at(a), self.at(b)
            length = math.hypot(xb - xa, yb - ya)
            if length == 0:
                continue
            fronts.append(_Front(node, ((xb - xa) / length, (yb - ya) / length), way_index,
                                 way.tags["highway"]))
        return fronts


@dataclass
class _Area:
    """A built-up area: the county town, a town or a village."""

    name: str
    kind: str  # "county_town" | "town" | "village"
    centre: tuple[float, float]
    ellipse: tuple[float, float, float] | None = None  # semi-axes a, b (m) and rotation (rad)
    ports: list[int] = field(default_factory=list)  # where rural roads attach
    crossings: list[int] = field(default_factory=list)  # street intersections
    fronts: list[_Front] = field(default_factory=list)
    township: str = ""  # the town a village belongs to


def _local(area: _Area, x: float, y: float) -> tuple[float, float]:
    a, b, rot = area.ellipse
    dx, dy = x - area.centre[0], y - area.centre[1]
    c, s = math.cos(rot), math.sin(rot)
    return dx * c + dy * s, -dx * s + dy * c


def _world(area: _Area, u: float, v: float) -> tuple[float, float]:
    c, s = math.cos(area.ellipse[2]), math.sin(area.ellipse[2])
    return area.centre[0] + u * c - v * s, area.centre[1] + u * s + v * c


def _name_pool(rng: _Rng) -> Callable[[str], str]:
    """A source of distinct street names: word from the pool plus the given suffix."""
    words = rng.shuffled(_STREET_WORDS)
    used: set[str] = set()

    def take(suffix: str) -> str:
        while words:
            name = words.pop() + suffix
            if name not in used:
                used.add(name)
                return name
        name = f"无名{len(used) + 1}{suffix}"
        used.add(name)
        return name

    return take


def _line_positions(rng: _Rng, half_m: float, spacing_m: tuple[float, float]) -> list[float]:
    positions = [rng.uniform(-15.0, 15.0)]
    for sign in (1.0, -1.0):
        pos = positions[0]
        while True:
            pos += sign * rng.uniform(*spacing_m)
            if abs(pos) > half_m * 0.93:
                break
            positions.append(pos)
    return sorted(positions)


def _build_grid(roads: _Roads, rng: _Rng, area: _Area, *, spacing_m: tuple[float, float],
                step_m: float, ring: bool, classify: Callable[[str, int], dict[str, str]],
                one_way_pairs: bool) -> None:
    """Street grid clipped to the area's ellipse, optionally inside a ring road.

    ``classify(axis, rank)`` gives the tags of the line ``rank`` lines away from the central
    one (axis ``"u"`` for the lines running along the ellipse's minor axis, ``"v"`` for the
    others). With ``one_way_pairs`` the 1st and 2nd lines on one side of the centre in each
    direction become one-way streets running opposite ways.
    """
    a_m, b_m, _ = area.ellipse
    us = _line_positions(rng, a_m, spacing_m)
    vs = _line_positions(rng, b_m, spacing_m)
    iu0 = min(range(len(us)), key=lambda i: abs(us[i]))
    iv0 = min(range(len(vs)), key=lambda j: abs(vs[j]))
    # every point where two lines meet inside the ellipse is a node shared by both (a street
    # never passes over another); only crossings well inside are jittered, so none leaves the ring
    radius = {(i, j): math.hypot(u / a_m, v / b_m) for i, u in enumerate(us) for j, v in enumerate(vs)}
    inside = {key for key, r in radius.items() if r < 1.0}

    crossing_nodes: dict[tuple[int, int], int] = {}

    def crossing(key: tuple[int, int]) -> int:
        if key not in crossing_nodes:
            x, y = _world(area, us[key[0]], vs[key[1]])
            dx, dy = (rng.uniform(-5, 5), rng.uniform(-5, 5)) if radius[key] < 0.95 else (0.0, 0.0)
            crossing_nodes[key] = roads.node(x + dx, y + dy)
        return crossing_nodes[key]

    lines: list[tuple[str, int, list]] = []  # axis, index, anchor keys
    for i, u in enumerate(us):
        keys: list = [("c", (i, j)) for j in range(len(vs)) if (i, j) in inside]
        if ring:
            t = math.acos(max(-1.0, min(1.0, u / a_m)))
            keys = [("r", (-t) % (2 * math.pi))] + keys + [("r", t)]
        lines.append(("u", i, keys))
    for j, v in enumerate(vs):
        keys = [("c", (i, j)) for i in range(len(us)) if (i, j) in inside]
        if ring:
            t = math.asin(max(-1.0, min(1.0, v / b_m)))
            keys = [("r", (math.pi - t) % (2 * math.pi))] + keys + [("r", t % (2 * math.pi))]
        lines.append(("v", j, keys))

    ring_nodes: dict[float, int] = {}
    if ring:
        angles = sorted({key[1] for _, _, keys in lines for key in keys if key[0] == "r"})
        for t in angles:
            x, y = _world(area, a_m * math.cos(t), b_m * math.sin(t))
            ring_nodes[t] = roads.node(x, y)
        ring_way: list[int] = []
        closed = angles + [angles[0] + 2 * math.pi]
        for t0, t1 in zip(closed[:-1], closed[1:]):
            ring_way.append(ring_nodes[t0])
            arc = math.hypot(a_m * (math.cos(t1) - math.cos(t0)), b_m * (math.sin(t1) - math.sin(t0)))
            count = max(1, round(arc / (step_m * 1.2)))
            for k in range(1, count):
                t = t0 + (t1 - t0) * k / count
                r = 1.0 + rng.uniform(-0.002, 0.002)
                ring_way.append(roads.node(*_world(area, a_m * r * math.cos(t), b_m * r * math.sin(t))))
        ring_way.append(ring_way[0])
        roads.way(ring_way, {"highway": "primary", "name": "环城路", "maxspeed": "50"})
        area.ports.extend(ring_way[:-1])

    one_way = {}
    if one_way_pairs:
        one_way = {("u", iu0 - 1): False, ("u", iu0 - 2): True, ("v", iv0 + 1): False, ("v", iv0 + 2): True}
    for axis, index, keys in lines:
        if len(keys) < 2:
            continue
        anchors = [crossing(key[1]) if key[0] == "c" else ring_nodes[key[1]] for key in keys]
        rank = abs(index - (iu0 if axis == "u" else iv0))
        tags = classify(axis, rank)
        if (axis, index) in one_way:
            tags["oneway"] = "yes"
            if one_way[(axis, index)]:
                anchors = anchors[::-1]
        nodes = roads.chain(anchors, rng, step_m=step_m, jitter_m=2.0)
        way_index = roads.way(nodes, tags)
        area.fronts.extend(roads.fronts_of(way_index, skip=frozenset(anchors)))
    area.crossings.extend(crossing_nodes[key] for key in sorted(crossing_nodes))
    if not ring:
        area.ports.extend(area.crossings)


# --------------------------------------------------------------------------- geometry helpers


def _segment_hits_ellipse(area: _Area, p: tuple[float, float], q: tuple[float, float],
                          margin_m: float) -> bool:
    """Whether segment p–q comes within about ``margin_m`` of the area's ellipse."""
    a_m, b_m, _ = area.ellipse
    pu, pv = _local(area, *p)
    qu, qv = _local(area, *q)
    pu, pv, qu, qv = pu / (a_m + margin_m), pv / (b_m + margin_m), qu / (a_m + margin_m), qv / (b_m + margin_m)
    du, dv = qu - pu, qv - pv
    length2 = du * du + dv * dv
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(pu * du + pv * dv) / length2))
    return math.hypot(pu + t * du, pv + t * dv) < 1.0


def _port_towards(roads: _Roads, area: _Area, target: tuple[float, float]) -> int:
    """The port of a town nearest to where the ray from its centre to ``target`` leaves it."""
    a_m, b_m, _ = area.ellipse
    du, dv = _local(area, *target)
    scale = 1.0 / math.hypot(du / a_m, dv / b_m)
    ex, ey = _world(area, du * scale, dv * scale)
    return min(area.ports, key=lambda n: (math.hypot(roads.at(n)[0] - ex, roads.at(n)[1] - ey), n))


def _shortest_path(adjacency: dict[int, list[tuple[int, float]]], source: int, target: int) -> list[int]:
    dist = {source: 0.0}
    previous: dict[int, int] = {}
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if u == target:
            break
        if d > dist[u]:
            continue
        for v, w in adjacency[u]:
            if d + w < dist.get(v, math.inf):
                dist[v] = d + w
                previous[v] = u
                heapq.heappush(heap, (d + w, v))
    if target not in dist:
        return []
    path = [target]
    while path[-1] != source:
        path.append(previous[path[-1]])
    return path[::-1]


def _to_lonlat(x: float, y: float) -> tuple[float, float]:
    return CENTRE_LON + x / _M_PER_DEG_LON, CENTRE_LAT + y / _M_PER_DEG_LAT


# --------------------------------------------------------------------------- the county


@dataclass
class _School:
    name: str
    kind: str
    area: _Area
    enrolment: int
    partner: int | None = None  # index of the school it stands beside
    gate: tuple[float, float] | None = None
    front: _Front | None = None
    extra_gates: list[tuple[float, float]] = field(default_factory=list)
    priority: int = 3
    morning: tuple[int, int] = (0, 0)  # minutes after midnight
    afternoon: tuple[int, int] = (0, 0)
    requires_post: bool = False
    forbid_post: bool = False


@dataclass
class _Station:
    name: str
    node: int
    police: int
    auxiliary: int
    cars: int


@dataclass
class _Site:
    name: str
    xy: tuple[float, float]
    existing: bool


@dataclass
class _County:
    roads: _Roads
    areas: list[_Area]
    schools: list[_School]
    stations: list[_Station]
    sites: list[_Site]


def _settlements(seed: int) -> tuple[list[_Area], list[tuple[float, float]]]:
    """County town, towns and villages (areas), and the points where through roads leave."""
    rng = _Rng(seed, "settlements")
    city = _Area("城关镇", "county_town", (rng.uniform(-1500, -500), rng.uniform(0, 900)),
                 (2400.0, 1700.0, math.radians(rng.uniform(5, 15))))
    areas = [city]
    for name, (fx, fy), (a_m, b_m), rot in _TOWNS:
        centre = (fx * HALF_WIDTH_M + rng.uniform(-1500, 1500), fy * HALF_HEIGHT_M + rng.uniform(-1200, 1200))
        areas.append(_Area(name, "town", centre, (a_m, b_m, math.radians(rot + rng.uniform(-8, 8)))))
    exits = [(-HALF_WIDTH_M, rng.uniform(-3000, 3000)), (HALF_WIDTH_M, rng.uniform(-3000, 3000)),
             (rng.uniform(-3000, 3000), HALF_HEIGHT_M), (rng.uniform(-3000, 3000), -HALF_HEIGHT_M)]

    names = rng.shuffled([h + t for h in _VILLAGE_HEADS for t in _VILLAGE_TAILS])
    towns = list(areas)
    villages: list[tuple[float, float]] = []
    attempts = 0
    while len(villages) < 170 and attempts < 40_000:
        attempts += 1
        p = (rng.uniform(-HALF_WIDTH_M + 600, HALF_WIDTH_M - 600),
             rng.uniform(-HALF_HEIGHT_M + 600, HALF_HEIGHT_M - 600))
        if any(math.hypot(p[0] - q[0], p[1] - q[1]) < 1400 for q in villages + exits):
            continue
        if any(_segment_hits_ellipse(t, p, p, 1100.0) for t in towns):
            continue
        villages.append(p)
    for k, p in enumerate(villages):
        township = min(towns, key=lambda t: math.hypot(t.centre[0] - p[0], t.centre[1] - p[1]))
        areas.append(_Area(names[k], "village", p, township=township.name))
    return areas, exits


def _build_roads(seed: int, areas: list[_Area], exits: list[tuple[float, float]]) -> _Roads:
    roads = _Roads()
    rng = _Rng(seed, "grids")
    city_names = _name_pool(rng)
    city_main = {"u": list(_CITY_NS_MAIN), "v": list(_CITY_EW_MAIN)}

    def city_class(axis: str, rank: int) -> dict[str, str]:
        if rank == 0 or rank % 3 == 0:
            name = city_main[axis].pop(0) if city_main[axis] else city_names("路")
            if rank == 0:
                return {"highway": "secondary", "name": name, "maxspeed": "40"}
            return {"highway": "tertiary", "name": name}
        return {"highway": "residential", "name": city_names("街" if rank % 3 == 1 else "巷")}

    city = areas[0]
    _build_grid(roads, rng, city, spacing_m=(140.0, 210.0), step_m=62.0, ring=True,
                classify=city_class, one_way_pairs=True)
    for town in (a for a in areas if a.kind == "town"):
        short = town.name[:-1]
        streets = rng.shuffled(_TOWN_STREETS)

        def town_class(axis: str, rank: int, short=short, streets=streets) -> dict[str, str]:
            if rank == 0:
                return {"highway": "tertiary", "name": f"{short}{'大道' if axis == 'v' else '路'}"}
            name = short + (streets.pop() if streets else f"{_ORDINALS[rank % len(_ORDINALS)]}巷")
            return {"highway": "residential", "name": name}

        _build_grid(roads, rng, town, spacing_m=(130.0, 190.0), step_m=65.0, ring=False,
                    classify=town_class, one_way_pairs=False)

    # settlements of the rural network: county town, towns, exits, villages
    rng = _Rng(seed, "rural")
    built = [a for a in areas if a.kind != "village"]
    villages = [a for a in areas if a.kind == "village"]
    points = [a.centre for a in built] + list(exits) + [v.centre for v in villages]
    n_built, n_exit = len(built), len(exits)
    village_of = {n_built + n_exit + k: v for k, v in enumerate(villages)}
    routes, owner, village_edges = _rural_edges(points, built, n_exit)
    chosen = set(owner) | set(village_edges)

    # village centre nodes, then every chosen edge drawn once
    centre_node = {i: roads.node(*points[i]) for i in range(n_built, len(points))}

    def endpoint(i: int, other: int) -> int:
        if i < n_built:
            return _port_towards(roads, built[i], points[other])
        return centre_node[i]

    drawn: dict[tuple[int, int], list[int]] = {}
    for e in sorted(chosen):
        a, b = e
        anchors = [endpoint(a, b), endpoint(b, a)]
        (x0, y0), (x1, y1) = roads.at(anchors[0]), roads.at(anchors[1])
        span = math.hypot(x1 - x0, y1 - y0)
        bulge = 0.0 if (a < n_built or b < n_built) else rng.uniform(-1, 1) * min(0.025 * span, 90.0)
        drawn[e] = roads.chain(anchors, rng, step_m=rng.uniform(80.0, 112.0), jitter_m=3.0, bulge_m=bulge)

    for r, (tags, path) in enumerate(routes):
        run: list[int] = []
        for a, b in zip(path[:-1], path[1:]):
            e = (min(a, b), max(a, b))
            piece = drawn[e] if a < b else drawn[e][::-1]
            if owner[e] != r or (run and run[-1] != piece[0]):
                if len(run) > 1:
                    roads.way(run, tags)
                run = []
            if owner[e] == r:
                run = run + piece[1:] if run else list(piece)
        if len(run) > 1:
            roads.way(run, tags)
    for k, e in enumerate(sorted(village_edges)):
        names = [village_of[i].name if i in village_of else built[i].name if i < n_built else "县界"
                 for i in e]
        roads.way(drawn[e], {"highway": "unclassified", "name": f"{names[0][0]}{names[1][0]}线",
                             "ref": f"Y{k + 1:03d}"})

    _build_village_streets(roads, rng, villages, [centre_node[n_built + n_exit + k] for k in range(len(villages))])
    return roads


_Edge = tuple[int, int]  # settlement indices, smaller first
_Route = tuple[dict[str, str], list[int]]  # way tags, settlement sequence


def _rural_edges(points: list[tuple[float, float]], built: list[_Area], n_exit: int
                 ) -> tuple[list[_Route], dict[_Edge, int], list[_Edge]]:
    """Choose the rural roads among the Delaunay edges of the settlement ``points``.

    ``points`` are the built-up areas (county town first), then ``n_exit`` exits, then the
    villages. Returns the routes (tags and settlement sequence) of the through, county and
    town-to-town roads, the route owning each of their edges (the higher class wins), and the
    village roads: a minimum spanning tree completing the routes, plus every edge shorter
    than 3.6 km whose ends are otherwise more than 1.7 times its length apart by road.
    """
    n_built = len(built)

    def is_exit(i: int) -> bool:
        return n_built <= i < n_built + n_exit

    triangles = Delaunay(np.asarray(points)).simplices
    edges: set[tuple[int, int]] = set()
    for tri in triangles.tolist():
        for a, b in ((tri[0], tri[1]), (tri[1], tri[2]), (tri[0], tri[2])):
            edges.add((min(a, b), max(a, b)))
    candidates = []
    for a, b in sorted(edges):
        if is_exit(a) and is_exit(b):
            continue
        if any(_segment_hits_ellipse(t, points[a], points[b], 150.0)
               for k, t in enumerate(built) if k not in (a, b)):
            continue
        candidates.append((a, b))
    length = {e: math.hypot(points[e[0]][0] - points[e[1]][0], points[e[0]][1] - points[e[1]][1])
              for e in candidates}
    adjacency: dict[int, list[tuple[int, float]]] = {i: [] for i in range(len(points))}
    for a, b in candidates:
        adjacency[a].append((b, length[(a, b)]))
        adjacency[b].append((a, length[(a, b)]))

    # an edge shared by two routes belongs to the higher class (the earlier route on a tie)
    routes: list[_Route] = []
    for tags, stops in (({"highway": "trunk", "name": "352国道", "ref": "G352", "maxspeed": "80"},
                         (n_built, 0, n_built + 1)),
                        ({"highway": "primary", "name": "208省道", "ref": "S208", "maxspeed": "60"},
                         (n_built + 2, 0, n_built + 3))):
        for s, t in zip(stops[:-1], stops[1:]):
            routes.append((tags, _shortest_path(adjacency, s, t)))
    for k in range(1, n_built):
        short = built[k].name[0]
        tags = {"highway": "secondary", "name": f"城{short}线", "ref": f"X{200 + k}"}
        if k % 2:
            tags["maxspeed"] = "60"
        routes.append((tags, _shortest_path(adjacency, 0, k)))
    order = sorted(range(1, n_built), key=lambda k: math.atan2(built[k].centre[1] - built[0].centre[1],
                                                                built[k].centre[0] - built[0].centre[0]))
    for k0, k1 in zip(order, order[1:] + order[:1]):
        tags = {"highway": "tertiary", "name": f"{built[k0].name[0]}{built[k1].name[0]}线",
                "ref": f"X{300 + k0 * 10 + k1}"}
        routes.append((tags, _shortest_path(adjacency, k0, k1)))
    if any(not path for _, path in routes):
        raise RuntimeError("demo county: a through or county road found no path")

    owner: dict[tuple[int, int], int] = {}
    for r, (tags, path) in enumerate(routes):
        for a, b in zip(path[:-1], path[1:]):
            e = (min(a, b), max(a, b))
            if e not in owner or _CLASS_RANK[routes[owner[e]][0]["highway"]] > _CLASS_RANK[tags["highway"]]:
                owner[e] = r

    # minimum spanning tree (Kruskal) over the candidates, then detour-saving loops
    parent = list(range(len(points)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for e in owner:
        parent[find(e[0])] = find(e[1])
    village_edges: list[tuple[int, int]] = []
    for e in sorted(candidates, key=lambda e: (length[e], e)):
        if e in owner:
            continue
        ra, rb = find(e[0]), find(e[1])
        if ra != rb:
            parent[ra] = rb
            village_edges.append(e)
    if len({find(i) for i in range(len(points))}) != 1:
        raise RuntimeError("demo county: the rural road network is not connected")
    chosen = set(owner) | set(village_edges)
    network = {i: [] for i in range(len(points))}
    for a, b in chosen:
        network[a].append((b, length[(a, b)]))
        network[b].append((a, length[(a, b)]))
    for e in sorted(candidates, key=lambda e: (length[e], e)):
        if e in chosen or length[e] > 3600:
            continue
        path = _shortest_path(network, e[0], e[1])
        detour = sum(length[(min(a, b), max(a, b))] for a, b in zip(path[:-1], path[1:]))
        if detour > 1.7 * length[e]:
            chosen.add(e)
            village_edges.append(e)
            network[e[0]].append((e[1], length[e]))
            network[e[1]].append((e[0], length[e]))
    return routes, owner, village_edges


def _build_village_streets(roads: _Roads, rng: _Rng, villages: list[_Area], centres: list[int]) -> None:
    """One or two residential streets through every village centre, clear of other roads."""
    lines = [LineString([roads.at(n) for n in w.nodes]) for w in roads.ways]
    tree = STRtree(lines)
    touching: dict[int, list[int]] = {}
    for k, w in enumerate(roads.ways):
        for n in w.nodes:
            touching.setdefault(n, []).append(k)
    for village, centre in zip(villages, centres):
        cx, cy = roads.at(centre)
        incident = touching.get(centre, [])
        headings = []
        for k in incident:
            nodes = roads.ways[k].nodes
            i = nodes.index(centre)
            for j in (i - 1, i + 1):
                if 0 <= j < len(nodes):
                    x, y = roads.at(nodes[j])
                    headings.append(math.atan2(y - cy, x - cx))
        base = rng.uniform(0, math.pi)
        count = 2 if rng.chance(0.55) else 1
        for street in range(count):
            best = max((base + street * math.pi / 2 + k * math.pi / 12 for k in range(12)),
                       key=lambda h: min([abs(math.remainder(h - g, math.pi)) for g in headings] or [1.0]))
            halves = [rng.uniform(180.0, 420.0), rng.uniform(180.0, 420.0)]
            for _ in range(4):
                p0 = (cx - halves[0] * math.cos(best), cy - halves[0] * math.sin(best))
                p1 = (cx + halves[1] * math.cos(best), cy + halves[1] * math.sin(best))
                line = LineString([p0, (cx, cy), p1])
                hits = [k for k in tree.query(line, predicate="intersects").tolist() if k not in incident]
                if not hits:
                    break
                halves = [h * 0.6 for h in halves]
            else:
                continue
            ends = [roads.node(*p0), roads.node(*p1)]
            nodes = roads.chain([ends[0], centre, ends[1]], rng, step_m=rng.uniform(60.0, 80.0), jitter_m=3.0)
            suffix = "街" if street == 0 else "巷"
            way_index = roads.way(nodes, {"highway": "residential", "name": f"{village.name}{suffix}"})
            village.fronts.extend(roads.fronts_of(way_index, skip=frozenset({centre})))
            incident = incident + [way_index]
            headings += [best, best + math.pi]


# --------------------------------------------------------------------------- schools


def _school_specs(rng: _Rng, areas: list[_Area]) -> list[_School]:
    """Names, kinds, sizes and pairings of the schools (not yet placed)."""
    city = areas[0]
    towns = [a for a in areas if a.kind == "town"]
    out: list[_School] = []

    def add(name: str, kind: str, area: _Area, enrolment: tuple[int, int], partner: int | None = None) -> int:
        out.append(_School(name, kind, area, rng.integer(*enrolment), partner))
        return len(out) - 1

    county = "示范县"
    # county town
    add(f"{county}第一中学", "high", city, (2800, 3500))
    add(f"{county}第二中学", "high", city, (1800, 3000))
    add(f"{county}特殊教育学校", "special", city, (80, 200))
    add(f"{county}育才学校", "nine_year", city, (900, 1600))
    for name in ("实验中学", "第四中学", "第五中学", "城东中学", "城西中学", "城南中学"):
        add(county + name, "middle", city, (1000, 2000))
    for k in range(4):
        add(f"城关第{_ORDINALS[k]}初级中学", "middle", city, (900, 1800))
    primaries = [add(f"{county}实验小学", "primary", city, (2000, 2500)),
                 add(f"{county}第二实验小学", "primary", city, (1600, 2400))]
    for k in range(12):
        primaries.append(add(f"城关镇第{_ORDINALS[k]}小学", "primary", city, (800, 2200)))
    for name in ("育英小学", "文昌小学", "城东小学", "城西小学", "城南小学", "城北小学"):
        primaries.append(add(name, "primary", city, (600, 1600)))
    paired = rng.shuffled(primaries)[:9]
    public_kg = [f"{county}机关幼儿园", "城关镇中心幼儿园", f"{county}实验幼儿园", f"{county}第二实验幼儿园"]
    public_kg += [f"城关镇第{_ORDINALS[k]}幼儿园" for k in range(6)]
    private = rng.shuffled(_PRIVATE_KINDERGARTENS)
    kg_names = public_kg + [p + "幼儿园" for p in private[:28]]
    for k, name in enumerate(kg_names):
        size = (220, 400) if k < len(public_kg) else (80, 300)
        add(name, "kindergarten", city, size, paired[k] if k < len(paired) else None)
    # towns
    for t, town in enumerate(towns):
        if t == 0:
            add(f"{county}第三中学", "high", town, (1500, 2400))
        add(f"{town.name}中学", "middle", town, (800, 1400))
        add(f"{town.name}第二中学", "middle", town, (600, 1100))
        town_primaries = [add(f"{town.name}{name}", "primary", town, size) for name, size in (
            ("中心小学", (1000, 1600)), ("第二小学", (700, 1300)), ("第三小学", (500, 1000)),
            ("实验小学", (600, 1200)), ("第四小学", (400, 900)))]
        add(f"{town.name}中心幼儿园", "kindergarten", town, (220, 380), town_primaries[0])
        add(f"{town.name}第二幼儿园", "kindergarten", town, (150, 300), town_primaries[1])
        for p in rng.shuffled(_PRIVATE_KINDERGARTENS)[:5]:
            add(f"{town.name}{p}幼儿园", "kindergarten", town, (80, 260))
    # villages
    villages = rng.shuffled([a for a in areas if a.kind == "village" and a.fronts])
    plan = ["middle"] * 2 + ["nine_year"] * 5 + ["primary_kg"] * 8 + ["primary"] * 9 + ["kindergarten"] * 3
    for what, village in zip(plan, villages):
        prefix = f"{village.township}{village.name}"
        if what == "middle":
            add(f"{prefix}中学", "middle", village, (600, 900))
        elif what == "nine_year":
            add(f"{prefix}九年一贯制学校", "nine_year", village, (500, 1100))
        elif what == "kindergarten":
            add(f"{prefix}村幼儿园", "kindergarten", village, (80, 160))
        else:
            p = add(f"{prefix}村小学", "primary", village, (300, 600))
            if what == "primary_kg":
                add(f"{prefix}村幼儿园", "kindergarten", village, (80, 180), p)
    return out


def _place_schools(roads: _Roads, rng: _Rng, schools: list[_School], road_tree: cKDTree) -> None:
    """Put every gate 10–40 m off a street node; partners 45–75 m along the same street."""
    placed: list[tuple[float, float]] = []

    def gate_from(front: _Front, side: float, offset_m: float, shift_m: float) -> tuple[float, float]:
        x0, y0 = roads.at(front.node)
        tx, ty = front.tangent
        return x0 - ty * side * offset_m + tx * shift_m, y0 + tx * side * offset_m + ty * shift_m

    def side_of(front: _Front, point: tuple[float, float]) -> float:
        """Positive left of the street's direction, negative right."""
        x0, y0 = roads.at(front.node)
        return (point[0] - x0) * -front.tangent[1] + (point[1] - y0) * front.tangent[0]

    order = sorted(range(len(schools)), key=lambda i: (schools[i].partner is not None, i))
    for i in order:
        school = schools[i]
        if school.partner is not None:
            partner = schools[school.partner]
            base = partner.front
            side = 1.0 if side_of(base, partner.gate) >= 0 else -1.0
            for _ in range(20):
                along = rng.choice((-1.0, 1.0)) * rng.uniform(45.0, 75.0)
                gate = gate_from(base, side, rng.uniform(10.0, 35.0), along + _along(roads, base, partner.gate))
                if road_tree.query(gate)[0] <= MAX_GATE_TO_ROAD_M - 5:
                    break
            school.gate, school.front = gate, base
            placed.append(gate)
            continue
        min_sep = {"county_town": 170.0, "town": 140.0, "village": 120.0}[school.area.kind]
        weight_by_class = {
            "kindergarten": {"residential": 3.0}, "primary": {"tertiary": 1.5},
            "middle": {"tertiary": 3.0, "secondary": 3.0}, "high": {"tertiary": 3.0, "secondary": 4.0},
        }.get(school.kind, {})
        while True:
            fronts = [f for f in school.area.fronts
                      if all(math.hypot(*_minus(roads.at(f.node), p)) >= min_sep for p in placed)]
            if fronts or min_sep < 1.0:
                break
            min_sep *= 0.8
        if not fronts:
            raise RuntimeError(f"demo county: no street left for {school.name}")
        front = rng.weighted(fronts, [weight_by_class.get(f.highway, 1.0) for f in fronts])
        school.front = front
        school.gate = gate_from(front, rng.choice((-1.0, 1.0)), rng.uniform(10.0, 40.0), rng.uniform(-12.0, 12.0))
        placed.append(school.gate)

    # second and third gates of large schools: on another street, on the main gate's side of
    # the main street, facing the main gate (so on the school's own block)
    for school in schools:
        gates_wanted = 2 if school.enrolment >= 2600 else 1 if school.enrolment >= 1800 else 0
        main_side = side_of(school.front, school.gate)
        others = [f for f in school.area.fronts if f.way != school.front.way
                  and 90.0 <= math.hypot(*_minus(roads.at(f.node), school.gate)) <= 280.0
                  and side_of(school.front, roads.at(f.node)) * main_side > 0]
        used_ways = {school.front.way}
        for _ in range(gates_wanted):
            others = [f for f in others if f.way not in used_ways]
            if not others:
                break
            front = rng.choice(others)
            used_ways.add(front.way)
            side = 1.0 if side_of(front, school.gate) >= 0 else -1.0
            school.extra_gates.append(gate_from(front, side, rng.uniform(8.0, 25.0), 0.0))


def _minus(p: tuple[float, float], q: tuple[float, float]) -> tuple[float, float]:
    return p[0] - q[0], p[1] - q[1]


def _along(roads: _Roads, front: _Front, point: tuple[float, float]) -> float:
    x0, y0 = roads.at(front.node)
    return (point[0] - x0) * front.tangent[0] + (point[1] - y0) * front.tangent[1]


def _school_attributes(rng: _Rng, schools: list[_School]) -> None:
    """Bell times, priorities and the 必设岗 / 禁设岗 flags."""
    for school in schools:
        (m0, m1), (a0, a1) = _BELLS[school.kind]
        windows = []
        for low, high in ((m0, m1), (a0, a1)):
            duration = 5 * rng.integer(6, 10)
            earliest, latest = low - 5, max(low - 5, high - duration + 5)
            start = earliest + 5 * rng.integer(0, (latest - earliest) // 5)
            windows.append((start, start + duration))
        school.morning, school.afternoon = windows
        village = school.area.kind == "village"
        if school.kind == "high":
            priority = 5
        elif school.kind in ("middle", "special"):
            priority = 4 if school.enrolment >= 900 or school.kind == "special" else 3
        elif school.kind == "primary":
            priority = 5 if school.enrolment >= 1800 else 4 if school.enrolment >= 1000 else 3
        elif school.kind == "nine_year":
            priority = 3
        else:
            priority = 3 if school.enrolment >= 250 else 2
        if village and school.kind != "nine_year":
            priority -= 1
        if school.kind != "high" and rng.chance(0.15):
            priority += rng.choice((-1, 1))
        school.priority = max(1, min(5, priority))
        school.requires_post = school.kind == "high" or (school.kind in ("primary", "middle")
                                                         and school.enrolment >= 1900)
    small = sorted((s for s in schools if s.kind == "kindergarten" and s.partner is None
                    and s.area.kind in ("village", "county_town")),
                   key=lambda s: (s.area.kind != "village", s.enrolment, s.name))
    for school in (small[0], next(s for s in small if s.area.kind == "county_town")):
        school.forbid_post = True


def _footways(roads: _Roads, rng: _Rng, schools: list[_School]) -> int:
    """Footways from the street node in front of each town school through its gate and the block."""
    drive_ways = [k for k, w in enumerate(roads.ways) if w.tags["highway"] in DRIVE_HIGHWAYS]
    lines = [LineString([roads.at(n) for n in roads.ways[k].nodes]) for k in drive_ways]
    tree = STRtree(lines)
    node_xy = np.asarray(roads.xy)
    node_way: dict[int, set[int]] = {}
    for k in drive_ways:
        for n in roads.ways[k].nodes:
            node_way.setdefault(n, set()).add(k)
    drive_nodes = np.asarray(sorted(node_way))
    drive_tree = cKDTree(node_xy[drive_nodes - 1])
    paths: list[LineString] = []
    count = 0
    for school in schools:
        if school.area.kind == "village" or not rng.chance(0.75):
            continue
        start = school.front.node
        _, near = drive_tree.query(school.gate, k=12)
        targets = [int(drive_nodes[j]) for j in near.tolist()
                   if not node_way[int(drive_nodes[j])] & node_way[start]]
        for target in targets:
            end = roads.at(target)
            if math.hypot(*_minus(end, school.gate)) > 200.0:
                continue
            line = LineString([roads.at(start), school.gate, end])
            inner = LineString([school.gate, _lerp(school.gate, end, 0.97)])
            first = LineString([_lerp(roads.at(start), school.gate, 0.03), school.gate])
            if tree.query(inner, predicate="intersects").size or tree.query(first, predicate="intersects").size:
                continue
            if any(line.intersects(p) for p in paths):
                continue
            gate_node = roads.node(*school.gate)
            nodes = roads.chain([start, gate_node, target], rng, step_m=40.0, jitter_m=1.0)
            roads.way(nodes, {"highway": "footway"})
            paths.append(line)
            count += 1
            break
    return count


def _lerp(p: tuple[float, float], q: tuple[float, float], t: float) -> tuple[float, float]:
    return p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t


def _stations(roads: _Roads, rng: _Rng, areas: list[_Area]) -> list[_Station]:
    city = areas[0]
    a_m, b_m, _ = city.ellipse

    def crossing_near(area: _Area, u: float, v: float) -> int:
        x, y = _world(area, u, v)
        return min(area.crossings, key=lambda n: (math.hypot(roads.at(n)[0] - x, roads.at(n)[1] - y), n))

    out = [_Station("城关派出所", crossing_near(city, -0.25 * a_m, 0.1 * b_m),
                    rng.integer(34, 40), rng.integer(40, 50), 5),
           _Station("城东派出所", crossing_near(city, 0.45 * a_m, -0.15 * b_m),
                    rng.integer(26, 32), rng.integer(30, 40), 4)]
    for town in (a for a in areas if a.kind == "town"):
        node = crossing_near(town, 0.2 * town.ellipse[0], 0.0)
        out.append(_Station(f"{town.name[:-1]}派出所", node, rng.integer(12, 20), rng.integer(15, 28),
                            rng.integer(2, 3)))
    return out


def _sites(roads: _Roads, rng: _Rng, areas: list[_Area], schools: list[_School]) -> list[_Site]:
    """Four existing kiosks beside the biggest county-town schools, six candidate corners."""
    names_at: dict[int, list[str]] = {}
    for w in roads.ways:
        if w.tags["highway"] in DRIVE_HIGHWAYS:
            for n in w.nodes:
                if w.tags["name"] not in names_at.setdefault(n, []):
                    names_at[n].append(w.tags["name"])
    out: list[_Site] = []
    city_schools = sorted((s for s in schools if s.area.kind == "county_town" and s.partner is None),
                          key=lambda s: (-s.enrolment, s.name))
    for school in city_schools[:4]:
        x0, y0 = roads.at(school.front.node)
        dx, dy = _minus(school.gate, (x0, y0))
        norm = math.hypot(dx, dy) or 1.0
        offset = rng.uniform(5.0, 8.0)
        out.append(_Site(f"{school.name}治安岗亭", (x0 + dx / norm * offset, y0 + dy / norm * offset), True))
    picks = [s for s in city_schools[4:] if s.kind == "primary"][:2]
    for town in (a for a in areas if a.kind == "town"):
        picks.append(next(s for s in schools if s.area is town and s.kind == "primary"))
    for school in picks:
        corner = min(school.area.crossings, key=lambda n: (math.hypot(*_minus(roads.at(n), school.gate)), n))
        names = names_at[corner]
        label = f"{names[0]}与{names[1]}交叉口" if len(names) > 1 else f"{names[0]}路口"
        x0, y0 = roads.at(corner)
        out.append(_Site(label, (x0 + rng.uniform(-6, 6), y0 + rng.uniform(-6, 6)), False))
    return out


def _build_county(seed: int) -> _County:
    areas, exits = _settlements(seed)
    roads = _build_roads(seed, areas, exits)
    rng = _Rng(seed, "schools")
    schools = _school_specs(rng, areas)
    drive_nodes = sorted({n for w in roads.ways if w.tags["highway"] in DRIVE_HIGHWAYS for n in w.nodes})
    road_tree = cKDTree(np.asarray([roads.at(n) for n in drive_nodes]))
    _place_schools(roads, rng, schools, road_tree)
    _school_attributes(rng, schools)
    footways = _footways(roads, _Rng(seed, "footways"), schools)
    stations = _stations(roads, _Rng(seed, "stations"), areas)
    sites = _sites(roads, _Rng(seed, "sites"), areas, schools)
    county = _County(roads, areas, schools, stations, sites)
    _check(county, road_tree)
    logger.info("demo county: %d nodes, %d ways (%d footways), %d schools, %d stations, %d sites",
                len(roads.xy), len(roads.ways), footways, len(schools), len(stations), len(sites))
    return county


def _check(county: _County, road_tree: cKDTree) -> None:
    """The invariants the demo promises: one strongly connected drive network, gates near it."""
    roads = county.roads
    rows, cols = [], []
    for w in roads.ways:
        if w.tags["highway"] not in DRIVE_HIGHWAYS:
            continue
        for a, b in zip(w.nodes[:-1], w.nodes[1:]):
            rows.append(a - 1)
            cols.append(b - 1)
            if w.tags.get("oneway") != "yes":
                rows.append(b - 1)
                cols.append(a - 1)
    drive = sorted({n for w in roads.ways if w.tags["highway"] in DRIVE_HIGHWAYS for n in w.nodes})
    size = len(roads.xy)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="strong")
    if len({int(labels[n - 1]) for n in drive}) != 1:
        raise RuntimeError("demo county: the drive network is not strongly connected")
    gates = [g for s in county.schools for g in [s.gate, *s.extra_gates]]
    distances, _ = road_tree.query(np.asarray(gates))
    if float(distances.max()) > MAX_GATE_TO_ROAD_M:
        raise RuntimeError(f"demo county: a gate is {distances.max():.0f} m from the nearest road node")
    station_gap, _ = road_tree.query(np.asarray([roads.at(s.node) for s in county.stations]))
    if float(station_gap.max()) > 0.0:
        raise RuntimeError("demo county: a police station is not on a road node")


# --------------------------------------------------------------------------- writing


def _lonlat_text(x: float, y: float, digits: int) -> tuple[str, str]:
    lon, lat = _to_lonlat(x, y)
    return f"{lon:.{digits}f}", f"{lat:.{digits}f}"


def _osm_bytes(roads: _Roads) -> bytes:
    used = sorted({n for w in roads.ways for n in w.nodes})
    lonlat = {n: _lonlat_text(*roads.at(n), 7) for n in used}
    lons = [float(lonlat[n][0]) for n in used]
    lats = [float(lonlat[n][1]) for n in used]
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write('<osm version="0.6" generator="geo_patrol demo">\n')
    out.write(f' <bounds minlat="{min(lats):.7f}" minlon="{min(lons):.7f}" '
              f'maxlat="{max(lats):.7f}" maxlon="{max(lons):.7f}"/>\n')
    for n in used:
        out.write(f' <node id="{n}" lat="{lonlat[n][1]}" lon="{lonlat[n][0]}"/>\n')
    for k, w in enumerate(roads.ways, start=1):
        out.write(f' <way id="{k}">\n')
        for n in w.nodes:
            out.write(f'  <nd ref="{n}"/>\n')
        for key in sorted(w.tags):
            out.write(f'  <tag k="{key}" v="{escape(w.tags[key], {chr(34): "&quot;"})}"/>\n')
        out.write(" </way>\n")
    out.write("</osm>\n")
    raw = out.getvalue().encode("utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    return buffer.getvalue()


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[object]], line_end: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


#: Kinds whose pupils leave in two waves since after-school care (课后服务) became general: the
#: second wave from 17:30 (staggered by school in 10-minute steps), at least 30 minutes after
#: the first dismissal ends.
_SECOND_WAVE_KINDS = ("primary", "nine_year")


def _second_wave(k: int, school: _School) -> str:
    """The 课后服务放学 window of the k-th school (1-based), or empty; no random draw, so the
    other attributes of the demo stay as they were."""
    if school.kind not in _SECOND_WAVE_KINDS:
        return ""
    start = max(17 * 60 + 30 + 10 * (k % 4), school.afternoon[1] + 30)
    return f"{_clock(start)}-{_clock(start + 30)}"


def _friday(school: _School) -> str:
    """周五放学: primary, nine-year and middle schools leave an hour earlier on Fridays (no
    after-school care); no random draw."""
    if school.kind not in ("primary", "nine_year", "middle"):
        return ""
    return f"{_clock(school.afternoon[0] - 60)}-{_clock(school.afternoon[1] - 60)}"


def _officers_bytes(stations: list[_Station]) -> bytes:
    """The people of every station (its police and auxiliary numbers), each away on a few dates
    picked by arithmetic (no random draw)."""
    header = ("警号", "姓名", "所属派出所", "类别", "不可用日期")
    rows = []
    for k, station in enumerate(stations, start=1):
        for role, count, zh in (("police", station.police, "民警"), ("auxiliary", station.auxiliary, "辅警")):
            for n in range(1, count + 1):
                away = "" if n % 5 else f"2026-11-{(n * 7 + k) % 20 + 1:02d}:2026-11-{(n * 7 + k) % 20 + 3:02d}"
                rows.append((f"PS{k:02d}{role[0].upper()}{n:03d}", f"{station.name[:2]}{zh}{n:03d}", f"PS{k:02d}",
                             zh, away))
    return _csv_text(header, rows, "\r\n").encode("utf-8-sig")


def _schools_bytes(schools: list[_School]) -> bytes:
    header = ("学校编号", "学校名称", "类型", "经度", "纬度", "在校人数", "优先级",
              "上学时间", "放学时间", "课后服务放学", "周五放学", "必设岗", "禁设岗", "其他校门")
    rows = []
    for k, s in enumerate(schools, start=1):
        lon, lat = _lonlat_text(*s.gate, 6)
        extra = "; ".join(" ".join(_lonlat_text(*g, 6)) for g in s.extra_gates)
        rows.append((f"SFX{k:03d}", s.name, _KIND_ZH[s.kind], lon, lat, s.enrolment, s.priority,
                     f"{_clock(s.morning[0])}-{_clock(s.morning[1])}",
                     f"{_clock(s.afternoon[0])}-{_clock(s.afternoon[1])}", _second_wave(k, s), _friday(s),
                     "是" if s.requires_post else "否", "是" if s.forbid_post else "否", extra))
    return _csv_text(header, rows, "\r\n").encode("gb18030")


#: The demo's exam (学业水平合格性考试) on a weekend: candidates arrive before each session and
#: leave after it (上午场 08:30–10:30, 下午场 14:30–16:30).
_EXAM_WINDOWS = ("07:50-08:30", "10:30-11:10", "13:50-14:30", "16:30-17:10")


def _exam_sites_bytes(schools: list[_School]) -> bytes:
    """The exam sites: the county's high schools (考点 schools hold no classes on exam days), with
    the exam hours as windows; the headers a 考点 list uses; no random draw."""
    header = ("考点编号", "考点名称", "类型", "经度", "纬度", "考生人数", "优先级",
              "上学时间", "中午", "放学时间", "课后服务放学", "其他校门")
    rows = []
    for k, s in enumerate(schools, start=1):
        if s.kind != "high":
            continue
        lon, lat = _lonlat_text(*s.gate, 6)
        extra = "; ".join(" ".join(_lonlat_text(*g, 6)) for g in s.extra_gates)
        rows.append((f"SFX{k:03d}", f"{s.name}考点", _KIND_ZH[s.kind], lon, lat, s.enrolment // 2, 5,
                     *_EXAM_WINDOWS, extra))
    return _csv_text(header, rows, "\r\n").encode("utf-8-sig")


def _stations_bytes(roads: _Roads, stations: list[_Station]) -> bytes:
    header = ("派出所编号", "派出所", "经度", "纬度", "民警", "辅警", "警车")
    rows = [(f"PS{k:02d}", s.name, *_lonlat_text(*roads.at(s.node), 7), s.police, s.auxiliary, s.cars)
            for k, s in enumerate(stations, start=1)]
    return _csv_text(header, rows, "\r\n").encode("utf-8-sig")


def _sites_bytes(sites: list[_Site]) -> bytes:
    rows = [(f"SITE{k:02d}", s.name, *_lonlat_text(*s.xy, 6), "yes" if s.existing else "no")
            for k, s in enumerate(sites, start=1)]
    return _csv_text(("id", "name", "lon", "lat", "existing"), rows, "\n").encode("utf-8")


def _scenario_text(seed: int) -> str:
    return f'''# geo_patrol demo scenario: the fictional county 示范县 in central China.
# Generated by `python tools/make_demo.py` (deterministic for the seed); regenerate, do not edit.

[scenario]
name = "示范县 (demo county)"        # shown on maps, reports and duty sheets
seed = {seed}                    # seed of every randomised step: same inputs and seed, same plan
timezone = "Asia/Shanghai"          # informational: every clock time in the inputs is local time

[inputs]                             # paths are relative to this file
schools = "schools.csv"              # school list (GB18030 CSV with Chinese headers, as Excel writes it)
schools_datum = "wgs84"              # datum of the school coordinates: wgs84 | gcj02 | bd09
stations = "stations.csv"            # police stations with officers, auxiliaries and patrol cars
stations_datum = "wgs84"
sites = "sites.csv"                  # optional candidate post sites (existing kiosks among them)
sites_datum = "wgs84"
network = "roads.osm.gz"             # road network: OpenStreetMap XML, gzip-compressed
officers = "officers.csv"            # optional: the people, for the semester's roster by date

[parameters]                          # every key is optional; these are the defaults, spelt out
post_radius_m = 150                  # a post covers the gates within this walking distance, metres
dwell_s = 300                        # a patrol stop lasts this long at a gate, lights on, seconds
car_sight_m = 100                    # a car and its lights are seen at gates this close to where it stands, metres
# min_seen_s = 300                   # this much of a stop (or duty) must lie in a window to count; default dwell_s
visits_per_window = 1                # patrol stops wanted per school and school-run window
min_gap_s = 900                      # least time between two stops at the same school, seconds
response_target_s = 180              # "135" mechanism: reach any gate within 3 minutes, seconds
max_snap_m = 300                     # a gate or station farther than this from a road is an error, metres
police_per_post = 1                  # police officers staffing each duty post
auxiliary_per_post = 1               # auxiliary officers staffing each duty post
borrow_drive_s = 900                 # a short station may borrow a team from a station this close to the post, seconds
duty_lead_s = 600                    # a post is staffed this long before the first window it serves, seconds
duty_lag_s = 300                     # ... and this long after the last one, seconds
shift_lead_s = 1800                  # a patrol car goes out this long before the period's first window, seconds
shift_lag_s = 1800                   # ... and comes back this long after its last window, seconds
target_profile = "basic"             # what the three sightings demand: basic | strict
officer_presence_pct = 80            # share of each window an officer must be seen at the gate, percent

# [parameters.speed_kph]             # optional free-flow speed overrides by OSM highway class, e.g.
# primary = 40

[parameters.congestion]              # travel-time multiplier on free-flow times per school-run period
morning = 1.6
noon = 1.2
afternoon = 1.5

[calendar]                           # the autumn term, for `geo-patrol semester` (illustrative dates)
term_start = "2026-09-01"
term_end = "2027-01-22"
holidays = ["2026-09-25", "2026-10-01:2026-10-07", "2027-01-01"]   # 中秋, 国庆, 元旦
workdays = {{ "2026-09-27" = "friday", "2026-10-10" = "friday" }}   # 调休: make-up school days
max_duties_per_week = 6              # school-run duties one person may take in a week
plan_within_cap = true               # plan only the posts each station's people can staff every week

[[calendar.reinforced]]              # 开学前后: two car sightings per window in the first two weeks
from = "2026-09-01"
to = "2026-09-11"
visits_per_window = 2

[[calendar.exams]]                   # a weekend exam: its sites are the only school runs of those days
id = "xk"                            # names the day type (and its folder): xk
name = "高中学业水平合格性考试"
dates = ["2027-01-09:2027-01-10"]
sites = "exam_sites.csv"             # the exam sites, a school table whose windows are the exam hours
sites_datum = "wgs84"
'''


def _readme_text(county: _County, seed: int) -> str:
    roads = county.roads
    drive_ways = [w for w in roads.ways if w.tags["highway"] in DRIVE_HIGHWAYS]
    drive_nodes = {n for w in drive_ways for n in w.nodes}
    all_nodes = {n for w in roads.ways for n in w.nodes}
    km: dict[str, float] = {}
    for w in roads.ways:
        length = sum(math.hypot(*_minus(roads.at(a), roads.at(b))) for a, b in zip(w.nodes[:-1], w.nodes[1:]))
        km[w.tags["highway"]] = km.get(w.tags["highway"], 0.0) + length / 1000.0
    kinds = {k: sum(1 for s in county.schools if s.kind == k) for k in _KIND_ZH}
    where = {k: sum(1 for s in county.schools if s.area.kind == k) for k in ("county_town", "town", "village")}
    towns = "、".join(a.name for a in county.areas if a.kind == "town")
    lines = [
        "# Demo county 示范县",
        "",
        f"A fictional county of about 40 km × 30 km in central China (centre {CENTRE_LON}°E, {CENTRE_LAT}°N),",
        "written in the same formats a planner brings, so that it goes through the same loaders as",
        "real data. Nothing here describes a real place.",
        "",
        f"Generated by `python tools/make_demo.py` with seed {seed}; the files are deterministic",
        "for a seed, and a test checks that this folder equals what the code generates. Regenerate",
        "rather than edit.",
        "",
        "| file | contents |",
        "|---|---|",
        "| `scenario.toml` | the scenario: inputs (all WGS-84) and every parameter spelt out |",
        f"| `roads.osm.gz` | OSM XML 0.6, gzip: {len(all_nodes):,} nodes ({len(drive_nodes):,} on drive roads), "
        f"{len(roads.ways):,} ways |",
        f"| `schools.csv` | {len(county.schools)} schools, Chinese headers, GB18030 encoding |",
        f"| `stations.csv` | {len(county.stations)} police stations, Chinese headers, UTF-8 with BOM |",
        f"| `sites.csv` | {len(county.sites)} candidate post sites "
        f"({sum(s.existing for s in county.sites)} existing kiosks), UTF-8 |",
        "| `officers.csv` | the people of every station (警号, 姓名, 民警/辅警, dates away), UTF-8 with BOM |",
        f"| `exam_sites.csv` | {sum(1 for s in county.schools if s.kind == 'high')} exam sites (the high schools) "
        "of the weekend exam in `[calendar]`, exam hours as windows, UTF-8 with BOM |",
        "",
        f"Places: the county town 城关镇 inside a ring road, the towns {towns}, and "
        f"{sum(1 for a in county.areas if a.kind == 'village')} villages.",
        "",
        "Roads, km: " + ", ".join(f"{k} {km[k]:.1f}" for k in sorted(km, key=lambda k: -km[k])) + ".",
        "The drive network is one strongly connected component (one-way streets come in pairs).",
        "",
        "Schools: " + ", ".join(f"{n} {_KIND_ZH[k]} ({k})" for k, n in kinds.items()) + "; "
        f"{where['county_town']} in the county town, {where['town']} in the towns, "
        f"{where['village']} in villages; {sum(s.requires_post for s in county.schools)} must have a post "
        f"(必设岗), {sum(s.forbid_post for s in county.schools)} must not (禁设岗), "
        f"{sum(1 for s in county.schools if s.extra_gates)} have more than one gate.",
        "",
        f"Police: {sum(s.police for s in county.stations)} officers, "
        f"{sum(s.auxiliary for s in county.stations)} auxiliaries and "
        f"{sum(s.cars for s in county.stations)} patrol cars in {len(county.stations)} stations.",
        "",
    ]
    return "\n".join(lines)


#: The files :func:`make_demo` writes, in order.
DEMO_FILES = ("roads.osm.gz", "schools.csv", "stations.csv", "sites.csv", "officers.csv", "exam_sites.csv",
              "scenario.toml", "README.md")


def make_demo(out_dir: str | Path, *, seed: int = DEFAULT_SEED) -> Path:
    """Write the demo county into ``out_dir`` and return the path of its ``scenario.toml``.

    The folder is created if needed; the files of :data:`DEMO_FILES` are overwritten,
    nothing else is touched. The output is identical byte for byte for the same ``seed``.

    Raises :class:`~geo_patrol.errors.InputError` when ``seed`` is not a non-negative integer
    or ``out_dir`` cannot be written.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed {seed!r} is not a non-negative integer", field="seed",
                         hint="give a whole number such as 20260901")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError, PermissionError) as exc:
        raise InputError(f"cannot write the demo there ({exc.strerror or exc})", file=out,
                         hint="give a folder you can write to") from exc
    county = _build_county(seed)
    contents = {
        "roads.osm.gz": _osm_bytes(county.roads),
        "schools.csv": _schools_bytes(county.schools),
        "stations.csv": _stations_bytes(county.roads, county.stations),
        "sites.csv": _sites_bytes(county.sites),
        "officers.csv": _officers_bytes(county.stations),
        "exam_sites.csv": _exam_sites_bytes(county.schools),
        "scenario.toml": _scenario_text(seed).encode("utf-8"),
        "README.md": _readme_text(county, seed).encode("utf-8"),
    }
    try:
        for name in DEMO_FILES:
            (out / name).write_bytes(contents[name])
    except (IsADirectoryError, PermissionError) as exc:
        raise InputError(f"cannot write the demo there ({exc.strerror or exc})", file=out,
                         hint="give a folder you can write to") from exc
    logger.info("demo county written to %s", out)
    return out / "scenario.toml"


def _default_out_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "demo"


def main(argv: Sequence[str] | None = None) -> int:
    """``python tools/make_demo.py [OUT_DIR] [--seed S]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python tools/make_demo.py",
        description="Write the demo county 示范县 (roads, schools, stations, sites, scenario).")
    parser.add_argument("out_dir", nargs="?", type=Path, default=None,
                        help="folder to write (default: data/demo of the repository)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        path = make_demo(args.out_dir if args.out_dir is not None else _default_out_dir(), seed=args.seed)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
