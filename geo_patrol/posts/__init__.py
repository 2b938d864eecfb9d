"""Duty-post (护学岗) location models on a demand × site matrix.

Maximal covering, fewest posts (set covering), backup (double) coverage, budget sweeps and the
p-median, each returning a frozen :class:`LocationResult`. Solved exactly with a MIP solver
(SCIP in OR-Tools) after instance reductions and a greedy + swap start.
"""

from geo_patrol.posts.backup import backup_coverage, backup_coverage_sets
from geo_patrol.posts.covering import max_coverage, max_coverage_sets, min_posts, min_posts_sets
from geo_patrol.posts.pmedian import p_median
from geo_patrol.posts.result import LocationResult
from geo_patrol.posts.sweep import coverage_sweep, coverage_sweep_sets

__all__ = [
    "LocationResult",
    "backup_coverage",
    "backup_coverage_sets",
    "coverage_sweep",
    "coverage_sweep_sets",
    "max_coverage",
    "max_coverage_sets",
    "min_posts",
    "min_posts_sets",
    "p_median",
]
