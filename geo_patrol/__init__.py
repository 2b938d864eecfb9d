"""geo_patrol: duty posts and patrol cars around schools during the school run.

The data flows one way, one module per stage: ``io`` (tables, OSM, plan directory) → ``scenario``
→ ``network`` → ``traveltime`` → ``snapping`` → ``posts`` / ``patrols`` → ``sightings`` → ``plan``
→ ``outputs`` (map, workbook, duty sheets) → ``whatif`` / ``verify`` → ``cli``. The layers are
stated in ``pyproject.toml`` and checked by import-linter.

The public API::

    from geo_patrol import Scenario, make_plan, Plan

    scenario = Scenario.from_toml("my_county/scenario.toml")   # or Scenario.demo()
    plan = make_plan(scenario, seed=1)
    print(plan.summary())
    plan.to_dir("plan_2026_autumn")
"""

from geo_patrol.errors import GeoPatrolError, InputError, NetworkError, OfflineError, SolverError
from geo_patrol.plan import Plan, make_plan
from geo_patrol.scenario import Scenario
from geo_patrol.version import __version__

__all__ = [
    "GeoPatrolError", "InputError", "NetworkError", "OfflineError", "Plan", "Scenario", "SolverError",
    "__version__", "make_plan",
]
