"""Reading road line layers (shapefile, GeoPackage, GeoJSON) exported from PGIS, SuperMap or ArcGIS.

Police intranets keep their roads as line layers, not OpenStreetMap: one feature per road (or
road piece) with a name, a class, a direction and sometimes a speed limit.  This module turns
such a layer into the same :class:`~geo_patrol.io.osm.RawWays` the OSM reader gives, so that
:mod:`geo_patrol.network` builds, snaps and times both kinds of network with the same code.

Files
-----
``.shp`` (with its ``.dbf``, ``.shx`` and, for projected coordinates, ``.prj``), ``.zip`` holding
a shapefile, ``.gpkg`` (the layer named by ``layer``, else its only line layer) and
``.geojson`` / ``.json``.  Features must be LineString or MultiLineString; other geometries are
skipped (and counted in a warning), null or empty ones too.  Attribute text may be UTF-8 or
GBK/GB18030: a shapefile's ``.dbf`` is decoded with the encoding its ``.cpg`` names (``GBK`` and
``936`` read as GB18030, their superset); without a ``.cpg`` (what many Chinese GIS exports
write) as UTF-8 when its text is valid UTF-8, else as GB18030.  Shapefile column names are cut
at 10 bytes by their writers (``道路等级`` in UTF-8 becomes ``道路等``): a name cut so still
matches.  A GeoJSON file that is not UTF-8 is read as GB18030.

Fields
------
Column names are matched ignoring case, spaces and full-width forms; the first name of each
list present in the layer is used.

=========  ==========================================================================  ========
field      accepted column names                                                       required
=========  ==========================================================================  ========
name       name, 名称, 道路名称, 道路名, 路名, roadname, road_name, dlmc, mc             no
class      highway, fclass, class, 道路等级, 等级, 道路类型, 道路类别, roadclass,       yes
           road_class, dldj
direction  oneway, direction, 方向, 单行, 单向, 通行方向, dir                           no
speed      maxspeed, 限速, 最高限速, speed, speed_kph, speedlimit, speed_limit,          no
           max_speed
=========  ==========================================================================  ========

*Class* values map onto the OSM ``highway`` classes of :data:`~geo_patrol.io.osm.DRIVE_CLASSES`
and :data:`~geo_patrol.io.osm.WALK_CLASSES` (table :data:`CLASS_ALIASES`): 高速公路/高速 →
motorway; 快速路/城市快速路 → trunk; 主干路/主干道/城市主干路/国道/一级公路 → primary;
次干路/次干道/城市次干路/省道/二级公路 → secondary; 支路/城市支路/县道/三级公路 → tertiary;
乡道/村道/乡村道路/四级公路/等外公路 → unclassified; 小区路/小区道路/内部路/内部道路/街巷 →
residential; 步行街 → pedestrian; 人行道/步行道 → footway.  OSM values (``primary``,
``residential_link``…, Geofabrik's ``fclass`` such as ``track_grade3`` → track) pass through.
Any other value, or an empty one, reads as :data:`DEFAULT_CLASS` (``road``, 25 km/h): such
lines are counted in a warning.  A class column none of whose values is known
(numeric codes, say) is an error, not a network of ``road``.

*Direction* values (:func:`direction_of`): empty, 0, B, both, no, N, false, 双向, 双行, 否 →
two-way; 1, F, FT, yes, Y, true, 正向, 顺向, 顺行, 单向, 单行, 是 → one-way along the direction
the line is digitised in; -1, T, TF, reverse, 反向, 逆向, 逆行 → one-way against it (``T``/``F``/
``B`` are Geofabrik's, ``FT``/``TF``/``N`` ArcGIS's).  Any other value is read as two-way and
counted in a warning (note: NavInfo's 1 = two-way, 2/3 = along/against is *not* this
convention).  Without a direction column every line is two-way.

*Speed* (km/h) is used like an OSM ``maxspeed`` tag: a positive number (or ``"40 km/h"``)
replaces the class speed; 0 or empty means "not set".

Topology
--------
Every vertex of every line is a graph node (as every node of an OSM way is; nothing is kept as
edge shape), and each pair of consecutive vertices of a line is one edge.  Two lines connect
where they have a vertex with the same coordinates (bit for bit, after the conversions below) —
an end or an interior vertex; lines that cross without a common vertex do not connect (a
bridge over a road).  Near-miss ends are closed
with ``snap_tolerance_m`` (default :data:`SNAP_TOLERANCE_M` = 2 m, measured in local metres):

1. line ends closer than the tolerance to each other are merged, chained (A–B and B–C within
   the tolerance merge A, B and C), onto the coordinates of the first of them in layer order;
2. an end that still meets no other line's vertex and lies within the tolerance of another line
   moves onto that line: to its nearest vertex when one is within the tolerance, else onto the
   nearest point of the line, which becomes a new vertex of that line (a T-junction whose side
   street stops short of the main road, or whose main road has no vertex at the junction).

A line shorter than the tolerance whose two ends merge disappears.  ``snap_tolerance_m = 0``
connects exact coordinates only.  Node ids are 1, 2, … in (lon, lat) order of the distinct
vertices; way ids are feature numbers (the first feature is 1), and a MultiLineString's parts
share their feature's way id and name.

The step is shapely (``STRtree``, ``line_locate_point``) and scipy (``cKDTree``, connected
components), then the OSM builder of :mod:`geo_patrol.network`.  Neither osmnx's
``graph_from_gdfs`` (it takes nodes and edges already made) nor momepy's ``gdf_to_nx`` (only
line ends become nodes, and it snaps nothing; momepy, not installed, would be a new dependency)
does this step.
Whether the result holds together — its largest strongly connected part keeping enough of the
drive nodes — is checked by :func:`geo_patrol.network.load_network`.

Coordinates
-----------
A layer with a projected CRS (CGCS2000 / Gauss-Krüger in metres, Web Mercator…) is reprojected
with its CRS (pyproj, through geopandas) to its geographic CRS; CGCS2000 geographic (EPSG:4490)
and WGS-84 (EPSG:4326) are taken as the same datum (they differ by centimetres), any other
geographic CRS (Beijing 1954, Xi'an 1980) is transformed to EPSG:4326 with pyproj's default
transformation.  A layer without a CRS must be in degrees.  Then ``datum`` = ``gcj02`` / ``bd09``
(the layer's coordinates are from Chinese web maps) converts them with
:func:`geo_patrol.datum.to_wgs84`.  Snapping and node identity happen after both conversions.
"""

from __future__ import annotations

import codecs
import io
import logging
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo_patrol.datum import normalise_datum, to_wgs84
from geo_patrol.errors import InputError, NetworkError
from geo_patrol.geo import LocalMetres
from geo_patrol.io.osm import DRIVE_CLASSES, LINE_LAYER_SUFFIXES, WALK_CLASSES, RawWays

logger = logging.getLogger(__name__)

__all__ = [
    "CLASS_ALIASES",
    "CLASS_FIELDS",
    "DEFAULT_CLASS",
    "DIRECTION_FIELDS",
    "LineLayer",
    "NAME_FIELDS",
    "SNAP_TOLERANCE_M",
    "SPEED_FIELDS",
    "direction_of",
    "layer_files",
    "read_line_roads",
    "road_class_of",
]

SNAP_TOLERANCE_M = 2.0
"""Line ends closer than this (metres) to another end or to another line are joined to it."""

DEFAULT_CLASS = "road"
"""Class of a line whose class value is empty or unknown (OSM's "road of unknown class", 25 km/h)."""

NAME_FIELDS: tuple[str, ...] = ("name", "名称", "道路名称", "道路名", "路名", "roadname", "road_name", "dlmc", "mc")
CLASS_FIELDS: tuple[str, ...] = ("highway", "fclass", "class", "道路等级", "等级", "道路类型", "道路类别", "roadclass",
                                 "road_class", "dldj")
DIRECTION_FIELDS: tuple[str, ...] = ("oneway", "direction", "方向", "单行", "单向", "通行方向", "dir")
SPEED_FIELDS: tuple[str, ...] = ("maxspeed", "限速", "最高限速", "speed", "speed_kph", "speedlimit", "speed_limit",
                                 "max_speed")

CLASS_ALIASES: Mapping[str, str] = {
    **dict.fromkeys(("高速公路", "高速", "高速路"), "motorway"),
    **dict.fromkeys(("快速路", "城市快速路", "快速干道"), "trunk"),
    **dict.fromkeys(("主干路", "主干道", "城市主干路", "城市主干道", "国道", "一级公路"), "primary"),
    **dict.fromkeys(("次干路", "次干道", "城市次干路", "城市次干道", "省道", "二级公路"), "secondary"),
    **dict.fromkeys(("支路", "城市支路", "县道", "三级公路"), "tertiary"),
    **dict.fromkeys(("乡道", "村道", "乡村道路", "四级公路", "等外公路"), "unclassified"),
    **dict.fromkeys(("小区路", "小区道路", "内部路", "内部道路", "街巷"), "residential"),
    "步行街": "pedestrian",
    **dict.fromkeys(("人行道", "步行道"), "footway"),
}
"""Chinese road class → OSM ``highway`` class (OSM values themselves pass through unchanged)."""

_KNOWN_OSM = frozenset(DRIVE_CLASSES) | WALK_CLASSES
_TWO_WAY = frozenset({"", "0", "b", "both", "no", "n", "false", "双向", "双行", "否"})
_FORWARD = frozenset({"1", "f", "ft", "yes", "y", "true", "正向", "顺向", "顺行", "单向", "单行", "是"})
_BACKWARD = frozenset({"-1", "t", "tf", "reverse", "反向", "逆向", "逆行"})
_NOT_MOTOR = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_WGS84_LIKE_EPSG = (4326, 4490)


@dataclass(frozen=True)
class LineLayer:
    """A road line layer as read: ``raw`` the edges between node ids 1, 2, … (way ids are feature
    numbers), ``layer`` the layer's name, ``fields`` the column used for ``name``, ``class``,
    ``direction`` and ``speed`` (``None`` when absent), ``lines`` the number of line features,
    ``one_way`` how many drivable ones are one-way, ``ends_merged`` / ``ends_moved`` the line ends
    joined to other ends / moved onto other lines, ``warnings`` what the caller should log."""

    raw: RawWays
    layer: str
    fields: Mapping[str, str | None]
    lines: int
    one_way: int
    ends_merged: int
    ends_moved: int
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# values


def _key(text: Any) -> str:
    """Lower-case, half-width, trimmed, without inner spaces: how headers and codes are compared."""
    return "".join(unicodedata.normalize("NFKC", str(text)).lower().split())


def _cell(value: Any) -> str:
    """A cell as trimmed text: ``None``/NaN → ``""``, ``1.0`` → ``"1"``."""
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return ""
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def road_class_of(value: Any) -> str | None:
    """The OSM class of a class value (Chinese name or OSM value), ``None`` when unknown or empty."""
    key = _key(_cell(value))
    if key in CLASS_ALIASES:
        return CLASS_ALIASES[key]
    if key in _KNOWN_OSM:
        return key
    if key.startswith("track_grade"):
        return "track"
    return None


def direction_of(value: Any) -> int | None:
    """+1 one-way along the digitised direction, -1 against it, 0 two-way, ``None`` unknown."""
    key = _key(_cell(value))
    if key in _TWO_WAY:
        return 0
    if key in _FORWARD:
        return 1
    if key in _BACKWARD:
        return -1
    return None


def _field(columns: Iterable[str], names: Sequence[str], cut_encoding: str | None = None) -> str | None:
    """The first column named like one of ``names``; with ``cut_encoding`` (a shapefile's) a name
    cut to its first 10 bytes in that encoding, as shapefile writers do, matches too."""
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(_key(column), column)
    for name in names:
        keys = [_key(name)]
        if cut_encoding is not None:
            keys.append(_key(name.encode(cut_encoding, errors="ignore")[:10].decode(cut_encoding, errors="ignore")))
        for key in keys:
            if key in by_key:
                return by_key[key]
    return None


def _counted(counter: Counter, limit: int = 5) -> str:
    items = [f"'{value}' ×{n}" if value else f"(empty) ×{n}" for value, n in counter.most_common(limit)]
    more = len(counter) - limit
    return ", ".join(items) + (f" and {more} more values" if more > 0 else "")


# --------------------------------------------------------------------------------------------
# opening the layer


def layer_files(path: str | Path) -> list[Path]:
    """The files a line layer is made of (a shapefile's ``.shp``, ``.shx``, ``.dbf``, ``.prj``,
    ``.cpg`` that exist; else the file itself), sorted — what a fingerprint must hash."""
    path = Path(path)
    if path.suffix.lower() != ".shp":
        return [path]
    return sorted(_sidecar(path, ext) for ext in _SHAPEFILE_PARTS if _sidecar(path, ext) is not None)


def _sidecar(path: Path, ext: str) -> Path | None:
    """The file beside a ``.shp`` with the same stem and extension ``ext`` (any case)."""
    for candidate in (path.with_suffix(ext), path.with_suffix(ext.upper())):
        if candidate.is_file():
            return candidate
    if path.parent.is_dir():
        for candidate in path.parent.iterdir():
            if candidate.stem == path.stem and candidate.suffix.lower() == ext and candidate.is_file():
                return candidate
    return None


_CPG_CODECS = {"utf8": "utf-8", "65001": "utf-8", "gbk": "gb18030", "cp936": "gb18030", "936": "gb18030",
               "ansi936": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030", "54936": "gb18030"}


def _decodes(data: bytes, encoding: str, *, cut: bool = False) -> bool:
    """``data`` is text in ``encoding`` (with ``cut``, a last character cut in half is allowed)."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=not cut)
    except UnicodeDecodeError:
        return False
    return True


def _dbf_encoding(dbf: bytes, cpg: str | None) -> str:
    """Python codec of a ``.dbf``'s text (field names and values).

    The ``.cpg``'s when it names one Python knows (``GBK``/``936`` read as GB18030, its superset);
    else UTF-8 when the text decodes as UTF-8, else GB18030, else Latin-1.  Field names may end
    in half a character (cut at 10 bytes by the writer).
    """
    if cpg and cpg.strip():
        key = "".join(cpg.strip().lower().replace("-", "").split())
        if key in _CPG_CODECS:
            return _CPG_CODECS[key]
        try:
            return codecs.lookup(cpg.strip()).name
        except LookupError:
            logger.info("unknown code page %r in the .cpg: guessed from the text", cpg.strip())
    header_len = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 32 else len(dbf)
    names = [dbf[i:i + 11].split(b"\x00")[0] for i in range(32, max(32, header_len - 1), 32)
             if dbf[i:i + 1] != b"\r"]
    records = dbf[header_len:].rstrip(b"\x1a")
    for encoding in ("utf-8", "gb18030"):
        if _decodes(records, encoding) and all(_decodes(n, encoding, cut=True) for n in names):
            return encoding
    return "latin-1"


def _recode(frame: gpd.GeoDataFrame, encoding: str) -> gpd.GeoDataFrame:
    """Decode a shapefile read as Latin-1 (its bytes unchanged) with its real encoding."""
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None

    def text(value: Any, errors: str = "replace") -> Any:
        return value.encode("latin-1").decode(encoding, errors=errors) if isinstance(value, str) else value

    frame = frame.rename(columns={c: text(c, "ignore") for c in frame.columns if c != geometry})
    frame = frame.loc[:, ~frame.columns.duplicated()]
    for column in frame.columns:
        if column != geometry and not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].map(text)
    return frame


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _list_layers(source: Any, path: Path) -> list[tuple[str, str]]:
    try:
        found = pyogrio.list_layers(source)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise NetworkError(
            f"cannot read the line layer ({_one_line(exc)})",
            file=path,
            hint="open it in QGIS or ArcGIS and export it again as a shapefile, GeoPackage or GeoJSON",
        ) from None
    return [(str(name), str(kind)) for name, kind in found]


def _choose_layer(layers: list[tuple[str, str]], layer: str | None, path: Path) -> str:
    names = [name for name, _ in layers]
    listed = ", ".join(f"'{name}' ({kind})" for name, kind in layers) or "none"
    if layer is not None:
        if layer not in names:
            raise NetworkError(
                f"has no layer '{layer}'; its layers: {listed}",
                file=path,
                field="network_layer",
                hint="set network_layer to one of these names",
            )
        return layer
    lines = [name for name, kind in layers if "line" in kind.lower() or kind == "shapefile"]
    if len(lines) == 1:
        return lines[0]
    if not lines and len(layers) == 1:
        return names[0]
    if not lines:
        raise NetworkError(
            f"has no line layer; its layers: {listed}",
            file=path,
            hint="export the road lines (LineString) to this file, or name a layer with network_layer",
        )
    raise NetworkError(
        f"has {len(lines)} line layers ({', '.join(lines)}) and the scenario does not say which one holds the roads",
        file=path,
        field="network_layer",
        hint=f'add network_layer = "{lines[0]}" (or another of them) under [inputs]',
    )


def _read_frame(source: Any, path: Path, **kwargs: Any) -> gpd.GeoDataFrame:
    try:
        return gpd.read_file(source, **kwargs)
    except Exception as exc:  # pyogrio raises DataSourceError, FieldError, ...
        raise NetworkError(
            f"cannot read the line layer ({_one_line(exc)})",
            file=path,
            hint="open it in QGIS or ArcGIS and export it again as a shapefile, GeoPackage or GeoJSON",
        ) from None


def _open_layer(path: Path, layer: str | None) -> tuple[gpd.GeoDataFrame, str, str | None]:
    """The layer as a GeoDataFrame, the name of the layer read, and a shapefile's text encoding."""
    name = path.name.lower()
    _check_layer_file(path, name)
    if name.endswith(".shp"):
        return _open_shapefile(path, layer)
    if name.endswith(".zip"):
        return _open_zipped_shapefile(path, layer)
    if name.endswith(".gpkg"):
        chosen = _choose_layer(_list_layers(path, path), layer, path)
        return _read_frame(path, path, layer=chosen), chosen, None
    return _open_geojson(path, layer)


def _check_layer_file(path: Path, name: str) -> None:
    """:class:`NetworkError` unless ``path`` is a non-empty file with a line layer suffix."""
    if not name.endswith(LINE_LAYER_SUFFIXES):
        raise NetworkError("not a line layer file", file=path, hint="give a .shp, .zip, .gpkg or .geojson file")
    if not path.is_file():
        raise NetworkError("road network file not found", file=path, hint=f"check the path '{path}'")
    if path.stat().st_size == 0:
        raise NetworkError("is empty", file=path, hint="export the road layer again")


def _open_shapefile(path: Path, layer: str | None) -> tuple[gpd.GeoDataFrame, str, str]:
    """A ``.shp`` with its sidecar files, read in the encoding of its ``.cpg``/``.dbf``."""
    missing = [ext for ext in (".dbf", ".shx") if _sidecar(path, ext) is None]
    if missing:
        raise NetworkError(
            f"the shapefile's {' and '.join(missing)} file is missing (a shapefile is several files)",
            file=path,
            hint=f"copy {', '.join(path.stem + ext for ext in missing)} (and the .prj) next to {path.name}, "
            "or export the layer as a GeoPackage",
        )
    chosen = _choose_layer(_list_layers(path, path), layer, path)
    dbf, cpg = _sidecar(path, ".dbf"), _sidecar(path, ".cpg")
    encoding = _dbf_encoding(dbf.read_bytes() if dbf else b"",
                             cpg.read_text(encoding="latin-1") if cpg else None)
    return _recode(_read_frame(path, path, encoding="ISO-8859-1"), encoding), chosen, encoding


def _open_zipped_shapefile(path: Path, layer: str | None) -> tuple[gpd.GeoDataFrame, str, str]:
    """The shapefile ``layer`` (or the only one) inside a zip file."""
    chosen, member, sidecars, encoding = _zip_member(path, layer)
    missing = [ext for ext in (".dbf", ".shx") if ext not in sidecars]
    if missing:
        raise NetworkError(
            f"the zipped shapefile {member} has no {' and '.join(missing)} file beside it",
            file=path, hint="zip the shapefile's .shp, .shx, .dbf and .prj together",
        )
    frame = _read_frame(f"/vsizip/{path.resolve().as_posix()}/{member}", path, encoding="ISO-8859-1")
    return _recode(frame, encoding), chosen, encoding


def _zip_member(path: Path, layer: str | None) -> tuple[str, str, dict[str, str], str]:
    """The chosen shapefile of a zip file: its layer name, its ``.shp`` member, its sidecar
    members by (lower-case) suffix and its text encoding."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            shapefiles = sorted(m for m in members if m.lower().endswith(".shp"))
            if not shapefiles:
                raise NetworkError("the zip file holds no shapefile (.shp)", file=path,
                                   hint="zip the road layer's .shp, .shx, .dbf and .prj, or give the .shp itself")
            chosen = _choose_layer([(Path(m).stem, "shapefile") for m in shapefiles], layer, path)
            member = next(m for m in shapefiles if Path(m).stem == chosen)
            stem = member[: -len(".shp")].lower()
            sidecars = {m.lower()[len(stem):]: m for m in members if m.lower().startswith(stem + ".")}
            encoding = _dbf_encoding(archive.read(sidecars[".dbf"]) if ".dbf" in sidecars else b"",
                                     archive.read(sidecars[".cpg"]).decode("latin-1") if ".cpg" in sidecars
                                     else None)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NetworkError(f"cannot read the zip file ({_one_line(exc)})", file=path,
                           hint="zip the shapefile's .shp, .shx, .dbf and .prj again") from None
    return chosen, member, sidecars, encoding


def _open_geojson(path: Path, layer: str | None) -> tuple[gpd.GeoDataFrame, str, None]:
    """A GeoJSON file: UTF-8 by its standard, but GBK files exist (read as GB18030)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        source: Any = path
    except UnicodeDecodeError:
        try:
            source = io.BytesIO(data.decode("gb18030").encode("utf-8"))
        except UnicodeDecodeError:
            source = path
        else:
            logger.info("%s is not UTF-8: read as GB18030", path.name)
    if layer is not None:
        _choose_layer(_list_layers(path, path), layer, path)
    return _read_frame(source, path), path.stem, None


# --------------------------------------------------------------------------------------------
# coordinates


def _to_wgs84_frame(frame: gpd.GeoDataFrame, path: Path) -> tuple[gpd.GeoDataFrame, str]:
    """Reproject to WGS-84 degrees (CGCS2000 geographic taken as WGS-84); and a warning, if any."""
    crs = frame.crs
    note = ""
    if crs is None:
        return frame, note
    try:
        if crs.is_projected or not crs.is_geographic:
            geodetic = crs.geodetic_crs
            frame = frame.to_crs(geodetic if geodetic is not None else CRS.from_epsg(4326))
            crs = frame.crs
        if crs.to_epsg() not in _WGS84_LIKE_EPSG:
            note = f"coordinates in {crs.name} converted to WGS-84 with pyproj's default transformation"
            frame = frame.to_crs(4326)
    except Exception as exc:  # pyproj.exceptions.CRSError, ProjError
        raise NetworkError(
            f"cannot convert the layer's coordinates from {crs.name} to WGS-84 ({_one_line(exc)})",
            file=path,
            hint="export the layer in EPSG:4326 (WGS-84) or EPSG:4490 (CGCS2000) longitude/latitude",
        ) from None
    return frame, note


def _check_degrees(lon: np.ndarray, lat: np.ndarray, path: Path, has_crs: bool) -> None:
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = f"e.g. ({lon[i]:.3f}, {lat[i]:.3f})"
        if has_crs:
            raise NetworkError(f"has coordinates outside longitude/latitude range, {where}", file=path,
                               hint="check the layer's coordinate system in QGIS and export it again")
        raise NetworkError(
            f"has no coordinate system (no .prj) and its coordinates are not degrees, {where}",
            file=path,
            hint="copy the .prj that came with the shapefile next to it, or export the layer in EPSG:4326 "
            "or EPSG:4490 (CGCS2000) longitude/latitude",
        )


# --------------------------------------------------------------------------------------------
# topology


def _snap_ends(lon: np.ndarray, lat: np.ndarray, part: np.ndarray, order: np.ndarray,
               tolerance_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Close near-miss line ends (see the module docstring); returns the vertex arrays with new
    vertices appended, and the number of ends merged with ends and moved onto lines."""
    n_parts = int(part.max()) + 1 if part.size else 0
    if tolerance_m <= 0 or n_parts == 0:
        return lon, lat, part, order, 0, 0
    first = np.flatnonzero(np.r_[True, part[1:] != part[:-1]])
    last = np.r_[first[1:] - 1, part.size - 1]
    ends = np.concatenate([first, last])
    local = LocalMetres.around(lon, lat)
    xy = local.xy(lon, lat)
    merged = moved = 0

    # 1. ends within the tolerance of each other: merged (chained) onto the first in layer order
    pairs = cKDTree(xy[ends]).query_pairs(tolerance_m, output_type="ndarray")
    if pairs.size:
        graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(ends.size, ends.size))
        _, label = connected_components(graph, directed=False)
        rep = np.full(label.max() + 1, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(rep, label, ends)
        target = rep[label]
        change = target != ends
        merged = int(np.count_nonzero(
            (lon[ends] != lon[target]) | (lat[ends] != lat[target])))
        lon[ends[change]] = lon[target[change]]
        lat[ends[change]] = lat[target[change]]
        xy[ends[change]] = xy[target[change]]

    # 2. ends meeting no other vertex, within the tolerance of another line: moved onto it
    _, inverse, counts = np.unique(np.column_stack([lon, lat]), axis=0, return_inverse=True, return_counts=True)
    dangling = np.unique(ends[counts[inverse.reshape(-1)[ends]] == 1])
    if dangling.size == 0:
        return lon, lat, part, order, merged, moved
    lines = shapely.linestrings(xy, indices=part)
    points = shapely.points(xy[dangling])
    hit_point, hit_line = shapely.STRtree(lines).query(points, predicate="dwithin", distance=tolerance_m)
    other = hit_line != part[dangling[hit_point]]
    hit_point, hit_line = hit_point[other], hit_line[other]
    if hit_point.size == 0:
        return lon, lat, part, order, merged, moved
    distance = shapely.distance(points[hit_point], lines[hit_line])
    best = np.lexsort((hit_line, distance, hit_point))
    keep = np.r_[True, hit_point[best][1:] != hit_point[best][:-1]]
    new_lon: list[float] = []
    new_lat: list[float] = []
    new_part: list[int] = []
    new_order: list[float] = []
    for k in best[keep].tolist():
        end = int(dangling[hit_point[k]])
        line = int(hit_line[k])
        lo, hi = int(first[line]), int(last[line]) + 1
        d_vertex = np.hypot(xy[lo:hi, 0] - xy[end, 0], xy[lo:hi, 1] - xy[end, 1])
        nearest = int(np.argmin(d_vertex))
        if d_vertex[nearest] <= tolerance_m:
            lon[end], lat[end] = lon[lo + nearest], lat[lo + nearest]
        else:
            along = float(shapely.line_locate_point(lines[line], points[hit_point[k]]))
            seg = np.hypot(np.diff(xy[lo:hi, 0]), np.diff(xy[lo:hi, 1]))
            cum = np.r_[0.0, np.cumsum(seg)]
            s = int(np.clip(np.searchsorted(cum, along, side="right") - 1, 0, seg.size - 1))
            frac = (along - cum[s]) / seg[s] if seg[s] > 0 else 0.0
            x = xy[lo + s, 0] + frac * (xy[lo + s + 1, 0] - xy[lo + s, 0])
            y = xy[lo + s, 1] + frac * (xy[lo + s + 1, 1] - xy[lo + s, 1])
            p_lon = float(x / local.kx + local.lon0)
            p_lat = float(y / local.ky + local.lat0)
            lon[end], lat[end] = p_lon, p_lat
            new_lon.append(p_lon)
            new_lat.append(p_lat)
            new_part.append(line)
            new_order.append(float(order[lo + s]) + min(max(frac, 1e-9), 1 - 1e-9))
        moved += 1
    if new_lon:
        lon = np.concatenate([lon, new_lon])
        lat = np.concatenate([lat, new_lat])
        part = np.concatenate([part, np.asarray(new_part, dtype=np.int64)])
        order = np.concatenate([order, new_order])
        sort = np.lexsort((order, part))
        lon, lat, part, order = lon[sort], lat[sort], part[sort], order[sort]
    return lon, lat, part, order, merged, moved


# --------------------------------------------------------------------------------------------
# the reader


def read_line_roads(
    path: str | Path,
    *,
    layer: str | None = None,
    datum: str = "wgs84",
    snap_tolerance_m: float = SNAP_TOLERANCE_M,
) -> LineLayer:
    """The drive and walk edges of a road line layer (:class:`~geo_patrol.io.osm.RawWays`), with
    what was read: the layer, the columns used, the snapping done and the warnings.

    Parameters
    ----------
    path:
        ``.shp``, ``.zip`` (a zipped shapefile), ``.gpkg``, ``.geojson`` or ``.json``.
    layer:
        Layer to read (a GeoPackage's table, the shapefile's name inside a zip); by default the
        file's only line layer.
    datum:
        ``wgs84``, ``gcj02`` or ``bd09``: the datum of the layer's longitude/latitude (after its
        CRS, if projected, has been undone).
    snap_tolerance_m:
        Metres within which line ends are joined to other ends and lines (module docstring).

    Drive edges are lines of a class in :data:`~geo_patrol.io.osm.DRIVE_CLASSES`, in their
    direction; walk edges are lines of a class in :data:`~geo_patrol.io.osm.WALK_CLASSES`
    (no motorway or trunk), undirected.  ``drive_maxspeed`` holds the speed column's text.
    Warnings (lines of an unknown class or direction, features that are not lines, a CRS
    converted with pyproj's default transformation) are returned, not logged: whoever builds
    the network logs them once it is accepted, so a refused layer gives one error only.

    Raises
    ------
    NetworkError
        The file cannot be read, has no line, has no class column (the message lists the
        columns it has) or no known class value, no drivable line, or coordinates that are not
        degrees and no CRS to convert them.
    """
    path = Path(path)
    datum = _checked_options(path, datum, snap_tolerance_m)
    frame, layer_name, dbf_encoding = _open_layer(path, layer)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise NetworkError(f"layer '{layer_name}' has no geometry (an attribute table)", file=path,
                           hint="give the road centre lines (LineString/MultiLineString)")
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    warnings: list[str] = []
    is_line = _line_mask(frame, layer_name, path, warnings)
    feature = np.flatnonzero(is_line)

    # attributes
    fields = {key: _field(columns, names, dbf_encoding) for key, names in
              (("name", NAME_FIELDS), ("class", CLASS_FIELDS), ("direction", DIRECTION_FIELDS),
               ("speed", SPEED_FIELDS))}
    line_class, drive_lines = _line_classes(frame, fields["class"], columns, is_line, feature, path,
                                            warnings)
    directions = _directions(frame, fields["direction"], is_line, warnings)
    names = _texts(frame, fields["name"])
    speeds = _texts(frame, fields["speed"])

    # coordinates: CRS, then datum; lines split into parts
    frame, note = _to_wgs84_frame(frame, path)
    if note:
        warnings.append(note)
    lon, lat, vertex_part, part_feature, merged, moved = _line_vertices(
        frame, feature, path, datum, snap_tolerance_m)

    # nodes: distinct coordinates, numbered 1, 2, ... in (lon, lat) order; edges: consecutive vertices
    xy_unique, node_of = np.unique(np.column_stack([lon, lat]), axis=0, return_inverse=True)
    node_of = node_of.reshape(-1).astype(np.int64) + 1
    same_part = vertex_part[1:] == vertex_part[:-1]
    a, b = node_of[:-1][same_part], node_of[1:][same_part]
    seg_feature = part_feature[vertex_part[:-1][same_part]]
    real = a != b
    a, b, seg_feature = a[real], b[real], seg_feature[real]

    raw = _raw_ways(a, b, seg_feature, line_class, directions, speeds)
    raw.coords = {i + 1: (float(x), float(y)) for i, (x, y) in enumerate(xy_unique.tolist())}
    raw.way_names = {i + 1: names[i] for i in drive_lines if names[i]}

    result = LineLayer(raw=raw, layer=layer_name, fields=fields, lines=int(feature.size),
                       one_way=sum(1 for i in drive_lines if directions[i] != 0), ends_merged=merged,
                       ends_moved=moved, warnings=tuple(warnings))
    logger.info("%s: layer '%s', %d lines (%d one-way), %d nodes; columns %s; %d ends merged with ends and "
                "%d moved onto lines within %g m", path.name, layer_name, result.lines, result.one_way,
                len(xy_unique), fields, merged, moved, snap_tolerance_m)
    return result


def _checked_options(path: Path, datum: str, snap_tolerance_m: float) -> str:
    """The datum's canonical name; :class:`NetworkError` for an unknown datum or a snap
    tolerance that is not a number >= 0."""
    try:
        datum = normalise_datum(datum)
    except InputError as exc:
        raise NetworkError(exc.problem, file=path, field="network_datum", hint=exc.hint) from None
    if not (np.isfinite(snap_tolerance_m) and snap_tolerance_m >= 0):
        raise NetworkError(f"snap tolerance must be ≥ 0 metres, got {snap_tolerance_m!r}", file=path,
                           field="snap_tolerance_m", hint="use e.g. 2 (metres), or 0 to join exact ends only")
    return datum


def _line_mask(frame: gpd.GeoDataFrame, layer_name: str, path: Path, warnings: list[str]) -> np.ndarray:
    """Which features are non-empty lines; :class:`NetworkError` when none is, a warning in
    ``warnings`` when some are not."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    is_line = np.isin(shapely.get_type_id(geoms), (1, 2, 5)) & ~shapely.is_empty(geoms)
    if not is_line.any():
        found = ", ".join(sorted({str(g.geom_type) for g in geoms if g is not None})) or "no geometry"
        raise NetworkError(
            f"layer '{layer_name}' has no line features ({len(frame)} features: {found})",
            file=path,
            hint="give the road centre lines (LineString/MultiLineString), not points or polygons",
        )
    if (~is_line).any():
        warnings.append(f"{int((~is_line).sum())} features that are not lines (or are empty) skipped")
    return is_line


def _line_classes(frame: gpd.GeoDataFrame, class_field: str | None, columns: list[str],
                  is_line: np.ndarray, feature: np.ndarray, path: Path,
                  warnings: list[str]) -> tuple[list[str], list[int]]:
    """The OSM class of every feature and the line features of a drivable class;
    :class:`NetworkError` without a class column, a known class value or a drivable line."""
    if class_field is None:
        raise NetworkError(
            f"no road class column; the layer's columns are: {', '.join(columns) or 'none'}",
            file=path,
            field="class",
            hint="add or rename a column 道路等级 (or CLASS, FCLASS, highway) with values such as 主干路, 次干路, 支路 "
            "or OSM classes",
        )
    line_class, unknown = _classes(frame[class_field].tolist(), is_line)
    if sum(unknown.values()) == feature.size:
        raise NetworkError(
            f"none of the values of the class column is a road class this reader knows ({_counted(unknown)})",
            file=path,
            field=class_field,
            hint="use 高速公路, 快速路, 主干路, 次干路, 支路, 乡道, 村道, 小区路 (or OSM classes such as primary, "
            "residential); replace numeric codes with these names",
        )
    if unknown:
        warnings.append(f"{sum(unknown.values())} lines of an unknown class read as '{DEFAULT_CLASS}': "
                        f"{_counted(unknown)}")
    drive_lines = [i for i in feature.tolist() if line_class[i] in DRIVE_CLASSES]
    if not drive_lines:
        classes = Counter(line_class[i] for i in feature.tolist())
        raise NetworkError(
            f"no line of a drivable class ({', '.join(f'{c} ×{n}' for c, n in classes.most_common(5))})",
            file=path,
            field=class_field,
            hint="the drive network needs motorway…tertiary, unclassified, residential, living_street or road "
            "lines (高速公路, 快速路, 主干路, 次干路, 支路, 乡道, 小区路...)",
        )
    return line_class, drive_lines


def _directions(frame: gpd.GeoDataFrame, field: str | None, is_line: np.ndarray,
                warnings: list[str]) -> list[int]:
    """Every feature's direction (1 along, -1 against, 0 two-way: also without a direction
    column); unknown values of lines are read as two-way with a warning."""
    directions = [0] * len(frame)
    if field is None:
        return directions
    odd: Counter = Counter()
    for i, value in enumerate(frame[field].tolist()):
        d = direction_of(value)
        if d is None:
            if is_line[i]:
                odd[_cell(value)] += 1
            d = 0
        directions[i] = d
    if odd:
        warnings.append(f"{sum(odd.values())} lines with an unknown {field} value read as "
                        f"two-way: {_counted(odd)}")
    return directions


def _texts(frame: gpd.GeoDataFrame, field: str | None) -> list[str]:
    """Every feature's text in column ``field`` (all empty without the column)."""
    return [_cell(v) for v in frame[field].tolist()] if field else [""] * len(frame)


def _line_vertices(frame: gpd.GeoDataFrame, feature: np.ndarray, path: Path, datum: str,
                   snap_tolerance_m: float):
    """The WGS-84 vertices of the line features' parts of two vertices or more, ends snapped:
    longitudes, latitudes, part of each vertex, feature of each part, ends merged, ends moved."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    parts, part_of = shapely.get_parts(geoms[feature], return_index=True)
    part_feature = feature[part_of]
    coords, vertex_part = shapely.get_coordinates(parts, return_index=True)
    lon = np.ascontiguousarray(coords[:, 0], dtype=np.float64)
    lat = np.ascontiguousarray(coords[:, 1], dtype=np.float64)
    _check_degrees(lon, lat, path, frame.crs is not None)
    if datum != "wgs84":
        lon, lat = (np.asarray(a, dtype=np.float64) for a in to_wgs84(lon, lat, datum))
    # parts with fewer than two vertices draw nothing; the others are numbered 0, 1, ... again
    n_vertices = np.bincount(vertex_part, minlength=len(parts))
    good = n_vertices[vertex_part] >= 2
    lon, lat, vertex_part = lon[good], lat[good], vertex_part[good]
    kept_parts, vertex_part = np.unique(vertex_part, return_inverse=True)
    vertex_part = vertex_part.reshape(-1)
    part_feature = part_feature[kept_parts]
    position = np.arange(vertex_part.size) - np.searchsorted(vertex_part, vertex_part)
    lon, lat, vertex_part, position, merged, moved = _snap_ends(
        lon.copy(), lat.copy(), vertex_part.astype(np.int64), position.astype(np.float64), float(snap_tolerance_m))
    return lon, lat, vertex_part, part_feature, merged, moved


def _raw_ways(a: np.ndarray, b: np.ndarray, seg_feature: np.ndarray, line_class: list[str],
              directions: list[int], speeds: list[str]) -> RawWays:
    """The drive arcs and walk edges of the segments ``a`` → ``b`` (of features
    ``seg_feature``), without coordinates and names."""
    raw = RawWays()
    f_class = np.asarray(line_class, dtype=object)[seg_feature]
    f_dir = np.asarray(directions, dtype=np.int64)[seg_feature]
    drive = np.isin(f_class, list(DRIVE_CLASSES))
    walk = np.isin(f_class, list(WALK_CLASSES - _NOT_MOTOR))
    # a two-way line gives both arcs, a one-way line the arc of its direction
    for tails, heads, sel in ((a, b, drive & (f_dir >= 0)), (b, a, drive & (f_dir <= 0))):
        idx = np.flatnonzero(sel)
        raw.drive_u.extend(tails[idx].tolist())
        raw.drive_v.extend(heads[idx].tolist())
        raw.drive_way.extend((seg_feature[idx] + 1).tolist())
        raw.drive_class.extend(f_class[idx].tolist())
        raw.drive_maxspeed.extend(speeds[i] for i in seg_feature[idx].tolist())
    w = np.flatnonzero(walk)
    raw.walk_u.extend(a[w].tolist())
    raw.walk_v.extend(b[w].tolist())
    raw.walk_way.extend((seg_feature[w] + 1).tolist())
    raw.walk_class.extend(f_class[w].tolist())
    return raw


def _classes(values: list[Any], is_line: np.ndarray) -> tuple[list[str], Counter]:
    """The OSM class of every feature (:data:`DEFAULT_CLASS` when unknown), and the unknown
    values of the line features with their counts."""
    known: dict[Any, str | None] = {}
    out: list[str] = []
    unknown: Counter = Counter()
    for i, value in enumerate(values):
        text = _cell(value)
        if text not in known:
            known[text] = road_class_of(text)
        cls = known[text]
        if cls is None:
            if is_line[i]:
                unknown[text] += 1
            cls = DEFAULT_CLASS
        out.append(cls)
    return out, unknown
