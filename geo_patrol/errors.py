"""Error classes of geo_patrol.

Every error a user can cause with their own input is an :class:`InputError`; its message names
the file, the row and the field, says what is wrong and what to do. The command line turns any
:class:`GeoPatrolError` into one line on stderr and exit code 2.
"""

from __future__ import annotations

from pathlib import Path


class GeoPatrolError(Exception):
    """Base class of every error geo_patrol raises on purpose."""


class InputError(GeoPatrolError, ValueError):
    """Bad input: a file, a row or a field that cannot be used as it is.

    Parameters
    ----------
    problem:
        What is wrong, in one sentence without a trailing full stop.
    file, row, field:
        Where it is. ``row`` is the spreadsheet row number a planner sees in Excel: the header
        is row 1 and the first data row is row 2 (GeoJSON and GeoPackage features count from 1).
    hint:
        What the user should do about it.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = None if file is None else str(file)
        self.row = row
        self.field = field
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(Path(self.file).name)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        text = (", ".join(where) + ": " if where else "") + self.problem
        if self.hint:
            text += f" — {self.hint}"
        return text


class BudgetError(InputError):
    """A post budget below what the scenario's required posts (必设岗, existing kiosks) need.

    ``needed`` is the least number of posts that covers them; sweeps report the budget's row
    as "below the required posts" instead of stopping.
    """

    def __init__(self, problem: str, *, needed: int, **where) -> None:
        self.needed = needed
        super().__init__(problem, **where)


class NetworkError(InputError):
    """A road network that cannot be read or used (corrupt file, no drivable road...)."""


class OfflineError(InputError):
    """A page still refers to something outside the file, or a referenced file is not available."""


class SolverError(GeoPatrolError, RuntimeError):
    """A solver failed in a way that is not a property of the input (crash, missing backend)."""
