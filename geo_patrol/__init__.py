"""geo_patrol: duty posts and patrol cars around schools during the school run.

The data flows one way, one module per stage: inputs → network → travel times → posts →
patrols → sightings → plan → map / report → command line.
"""

from geo_patrol.errors import GeoPatrolError, InputError, NetworkError, SolverError

__version__ = "0.1.0"

__all__ = ["GeoPatrolError", "InputError", "NetworkError", "SolverError", "__version__"]
