"""The one adapter between geo_patrol.posts and the MIP solvers shipped inside OR-Tools.

A model is handed over as plain NumPy / SciPy data (objective vector, sparse constraint matrix,
row and column bounds, integrality mask) and comes back as a :class:`MipOutcome` of plain
Python/NumPy values; nothing from ``pywraplp`` leaves this module.

The default backend is SCIP (single thread, deterministic). CBC is available for comparison.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver import pywraplp

from geo_patrol.errors import SolverError

logger = logging.getLogger(__name__)

#: Backends accepted by :func:`solve_mip`, as named by ``pywraplp.Solver.CreateSolver``.
BACKENDS = ("SCIP", "CBC", "HIGHS", "GLOP", "CLP", "PDLP")


@dataclass(frozen=True)
class MipOutcome:
    """What a MIP solve produced.

    ``status`` is one of ``"optimal"`` (solver proved optimality within the requested relative
    gap), ``"feasible"`` (stopped by the time limit with a solution), ``"infeasible"``,
    ``"no_solution"`` (stopped by the time limit without any solution). ``values`` is ``None``
    when there is no solution. ``objective`` and ``bound`` include ``objective_offset``.
    """

    values: np.ndarray | None
    objective: float
    bound: float
    status: str
    runtime_s: float
    solver: str


#: The solver's result codes and the statuses they give; any other code is an abnormal stop.
_STATUS = {
    pywraplp.Solver.OPTIMAL: "optimal",
    pywraplp.Solver.FEASIBLE: "feasible",
    pywraplp.Solver.INFEASIBLE: "infeasible",
    pywraplp.Solver.NOT_SOLVED: "no_solution",
}


def solve_mip(
    *,
    c: np.ndarray,
    a: sp.csr_matrix,
    row_lb: np.ndarray,
    row_ub: np.ndarray,
    var_lb: np.ndarray,
    var_ub: np.ndarray,
    integer: np.ndarray,
    maximize: bool,
    time_limit_s: float,
    gap: float = 0.0,
    hint: np.ndarray | None = None,
    objective_offset: float = 0.0,
    backend: str = "SCIP",
    scip_params: str = "",
) -> MipOutcome:
    """Solve ``max/min c·x + offset`` s.t. ``row_lb <= A x <= row_ub``, ``var_lb <= x <= var_ub``,
    ``x[integer]`` integral.

    ``hint`` (a full vector of variable values) is passed to the solver as a starting solution.
    ``scip_params`` are SCIP settings in its own ``name = value`` text format, one per line.
    ``time_limit_s`` is wall-clock seconds; ``gap`` the relative optimality gap at which the
    solver may stop. Infinite bounds are written as ``±np.inf``.
    """
    if backend not in BACKENDS:
        raise SolverError(f"unknown MIP backend {backend!r}; choose one of {BACKENDS}")
    start = time.perf_counter()
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:
        raise SolverError(f"the OR-Tools build on this machine has no {backend} backend")
    solver.SetNumThreads(1)
    inf = solver.infinity()
    n_vars = len(c)
    variables = [
        solver.Var(_bound(lo, inf), _bound(hi, inf), bool(is_int), "")
        for lo, hi, is_int in zip(var_lb.tolist(), var_ub.tolist(), integer.tolist())
    ]
    a = sp.csr_matrix(a)
    _add_rows(solver, variables, a, row_lb, row_ub)
    objective = _set_objective(solver, variables, c, objective_offset, maximize)
    if hint is not None:
        solver.SetHint(variables, [float(v) for v in hint])
    solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    if backend == "SCIP" and scip_params:
        if not solver.SetSolverSpecificParametersAsString(scip_params):
            raise SolverError(f"SCIP rejected the parameters {scip_params!r}")
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, float(gap))
    build_s = time.perf_counter() - start
    logger.debug(
        "%s model: %d variables, %d constraints, %d nonzeros, built in %.2f s",
        backend, n_vars, a.shape[0], a.nnz, build_s,
    )
    code = solver.Solve(params)
    runtime_s = time.perf_counter() - start
    status = _STATUS.get(code)
    if status is None:
        raise SolverError(f"{backend} stopped abnormally (result code {code})")
    if status in ("optimal", "feasible"):
        values = np.array([v.solution_value() for v in variables], dtype=float)
        value = objective.Value()
        bound = objective.BestBound()
    else:
        values, value = None, math.nan
        bound = math.nan
    logger.debug("%s finished: %s, objective %s, bound %s, %.2f s", backend, status, value, bound,
                 runtime_s)
    return MipOutcome(values, float(value), float(bound), status, runtime_s, backend)


def _bound(value: float, inf: float) -> float:
    """A bound for the solver: ``±np.inf`` as its ``±inf``."""
    if math.isinf(value):
        return inf if value > 0 else -inf
    return float(value)


def _add_rows(solver, variables: list, a: sp.csr_matrix, row_lb: np.ndarray, row_ub: np.ndarray) -> None:
    """One constraint ``row_lb <= A x <= row_ub`` per row of ``a``."""
    inf = solver.infinity()
    indptr, indices, data = a.indptr, a.indices.tolist(), a.data.tolist()
    for r, (lo, hi) in enumerate(zip(row_lb.tolist(), row_ub.tolist())):
        constraint = solver.Constraint(_bound(lo, inf), _bound(hi, inf))
        for k in range(indptr[r], indptr[r + 1]):
            constraint.SetCoefficient(variables[indices[k]], data[k])


def _set_objective(solver, variables: list, c: np.ndarray, offset: float, maximize: bool):
    """Set the objective ``c·x + offset`` and its sense; returns it."""
    objective = solver.Objective()
    for j, value in enumerate(c.tolist()):
        if value != 0.0:
            objective.SetCoefficient(variables[j], value)
    objective.SetOffset(float(offset))
    if maximize:
        objective.SetMaximization()
    else:
        objective.SetMinimization()
    return objective
