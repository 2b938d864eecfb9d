"""Readers for the published location benchmark files used by the tests and benchmarks.

* OR-Library p-median (Beasley 1985): ``pmedN.txt`` (first line ``n m p``, then ``i j cost``
  undirected edges, 1-based; a repeated edge takes the later cost; distances are all-pairs
  shortest paths) and ``pmedopt.txt`` (optimal values).
* Swain's 55-node MCLP data (``swain.txt``: line 1 ``55``, then ``id x y weight``).
* São José dos Campos MCLP data (``SJCnnn.txt``: tab-separated, line 1 placeholders, then
  ``x y demand`` in planar metres).
* ``mclp_optima_computed_cbc.csv``: instance, n, p, S, …, covered_demand.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import csgraph_from_dense, shortest_path
from scipy.spatial.distance import cdist

from geo_patrol.errors import InputError


def read_orlib_pmedian(path: str | Path) -> tuple[np.ndarray, int]:
    """An OR-Library p-median file → (n × n shortest-path distance matrix, p)."""
    path = Path(path)
    tokens = path.read_text(encoding="utf-8").split()
    try:
        n, m, p = int(tokens[0]), int(tokens[1]), int(tokens[2])
        edges = np.asarray(tokens[3 : 3 + 3 * m], dtype=float).reshape(m, 3)
    except (IndexError, ValueError) as exc:
        raise InputError(f"not an OR-Library p-median file ({exc})", file=path) from exc
    graph = np.full((n, n), np.inf)
    for i, j, cost in edges:  # in file order: a repeated edge keeps the later cost
        graph[int(i) - 1, int(j) - 1] = cost
        graph[int(j) - 1, int(i) - 1] = cost
    np.fill_diagonal(graph, 0.0)
    dist = shortest_path(csgraph_from_dense(graph, null_value=np.inf), method="D",
                         directed=False)
    return dist, p


def read_orlib_pmedian_optima(path: str | Path) -> dict[str, float]:
    """``pmedopt.txt`` → {"pmed1": 5819.0, …} (the header line is skipped)."""
    optima = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("pmed"):
            optima[parts[0]] = float(parts[1])
    return optima


def read_swain(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Swain's data → (xy array n × 2, weights)."""
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    n = int(lines[0].split()[0])
    rows = np.asarray([line.split()[1:4] for line in lines[1 : n + 1]], dtype=float)
    return rows[:, :2], rows[:, 2]


def read_sjc(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """An SJC file → (xy array n × 2 in metres, demand)."""
    lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    n = int(lines[0].split()[0])
    rows = np.asarray([line.split()[:3] for line in lines[1 : n + 1]], dtype=float)
    return rows[:, :2], rows[:, 2]


def euclidean(xy_a: np.ndarray, xy_b: np.ndarray | None = None) -> np.ndarray:
    """Euclidean distance matrix between two point sets (same unit as the coordinates)."""
    return cdist(xy_a, xy_a if xy_b is None else xy_b)


def read_mclp_optima(path: str | Path) -> list[dict]:
    """The MCLP optima CSV → list of {instance, n, p, S, covered_demand, total_demand}."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            {
                "instance": row["instance"],
                "n": int(row["n"]),
                "p": int(row["p"]),
                "S": float(row["S"]),
                "covered_demand": float(row["covered_demand"]),
                "total_demand": float(row["total_demand"]),
            }
            for row in csv.DictReader(handle)
        ]


def mclp_instance(folder: str | Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Distance matrix and weights of an MCLP benchmark instance (``swain`` or ``SJCnnn``)
    stored under ``folder`` (the ``benchmarks/mclp`` data folder)."""
    folder = Path(folder)
    if name == "swain":
        xy, w = read_swain(folder / "swain" / "swain.txt")
    else:
        xy, w = read_sjc(folder / "sjc" / f"{name}.txt")
    return euclidean(xy), w
