"""Load a liqcascade result file (HDF5 schema v1, docs/schema.md) into pandas.

Tables become DataFrames whose ``attrs["units"]`` and ``attrs["description"]`` map
each column to the file's ``units`` and ``description`` attributes, so units travel
with the data. Series stay in the file and are read on demand, one block of rows at a
time, since they are the bulk of a file.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import h5py
import numpy as np
import pandas as pd

#: schema versions this package understands
SUPPORTED_SCHEMA = (1,)

PathLike = Union[str, "os.PathLike[str]"]


class LiqcascadeError(Exception):
    """A file that cannot be read as a liqcascade result, or a request the file
    cannot answer (e.g. events from a run without --events)."""


def _plain(value: Any) -> Any:
    """An HDF5 attribute value as a plain Python object (str, int, float, list)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _column_names(group: h5py.Group) -> list[str]:
    """Columns of a table group in schema order: the ``columns`` attribute when
    present, else link creation order (which h5py's iteration follows)."""
    cols = group.attrs.get("columns")
    if cols is not None:
        names = [c for c in _plain(cols).split(",") if c]
        # columns added by a newer writer but not listed still load, at the end
        return names + [k for k in group if k not in names]
    return list(group)


def read_table(group: h5py.Group, columns: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """A table group (1-D column datasets of equal length) as a DataFrame with
    ``attrs["units"]`` and ``attrs["description"]`` per column."""
    names = list(columns) if columns is not None else _column_names(group)
    missing = [c for c in names if c not in group]
    if missing:
        raise LiqcascadeError(f"{group.name}: no column(s) {', '.join(missing)}")
    data = {}
    for c in names:
        ds = group[c]
        data[c] = ds.asstr()[()] if h5py.check_string_dtype(ds.dtype) else ds[()]
    df = pd.DataFrame(data, columns=names)
    df.attrs["units"] = {c: _plain(group[c].attrs.get("units", "")) for c in names}
    df.attrs["description"] = {c: _plain(group[c].attrs.get("description", "")) for c in names}
    return df


class Result:
    """An open liqcascade result file.

    Use as a context manager, or call :meth:`close`. Attributes:

    * ``path`` -- the file;
    * ``attrs`` -- root attributes as plain Python values (``runs``, ``points``,
      ``steps``, ``dt_seconds``, ``status``, ``runs_completed``, ...);
    * ``runs`` -- /runs as a DataFrame (rows actually present, i.e.
      ``runs_completed`` of them), units in ``runs.attrs["units"]``;
    * ``points`` -- /points as a DataFrame (``point`` plus one column per varied key);
    * ``resolved`` -- the attributes of /scenario_resolved: ``{"price.sigma": 0.8, ...}``;
    * ``scenario_text`` / ``scenario_resolved_text`` -- the two YAML texts.

    ``events`` and ``population`` load on first use (None when the file has none).
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise LiqcascadeError(f"{self.path}: no such file")
        if not self.path.is_file():
            raise LiqcascadeError(f"{self.path}: not a regular file")
        try:
            self._f = h5py.File(self.path, "r")
        except OSError as e:
            raise LiqcascadeError(f"{self.path}: not an HDF5 file ({e})") from None
        try:
            self._check()
            self.attrs: dict[str, Any] = {k: _plain(v) for k, v in self._f.attrs.items()}
            self.runs: pd.DataFrame = read_table(self._f["runs"])
            done = self.attrs.get("runs_completed")
            if isinstance(done, int) and 0 <= done < len(self.runs):
                units, desc = self.runs.attrs["units"], self.runs.attrs["description"]
                self.runs = self.runs.iloc[:done].copy()
                self.runs.attrs.update(units=units, description=desc)
            if "points" in self._f:
                self.points: pd.DataFrame = read_table(self._f["points"])
            else:
                self.points = pd.DataFrame({"point": np.arange(self.n_points, dtype=np.int64)})
                self.points.attrs["units"] = {"point": "1"}
                self.points.attrs["description"] = {"point": "sweep point index"}
            if "point" not in self.runs:  # schema: row i is point i // runs
                self.runs.insert(0, "point", np.arange(len(self.runs)) // max(self.runs_per_point, 1))
                self.runs.attrs["units"]["point"] = "1"
        except BaseException:
            self._f.close()
            raise
        self._events: Optional[pd.DataFrame] = None
        self._population: Optional[pd.DataFrame] = None

    def _check(self) -> None:
        fmt = _plain(self._f.attrs.get("format"))
        if fmt != "liqcascade":
            raise LiqcascadeError(f"{self.path}: not a liqcascade result file "
                                  f"(root attribute format is {fmt!r})")
        version = _plain(self._f.attrs.get("schema_version"))
        if version not in SUPPORTED_SCHEMA:
            raise LiqcascadeError(f"{self.path}: schema_version {version!r} is not supported "
                                  f"(this package reads {SUPPORTED_SCHEMA})")
        if "runs" not in self._f:
            raise LiqcascadeError(f"{self.path}: no /runs table")
        if _plain(self._f.attrs.get("status")) == "running":
            raise LiqcascadeError(f"{self.path}: status is 'running': the file was not "
                                  "finished (a killed run?)")

    # ---- context manager -------------------------------------------------
    def close(self) -> None:
        """Close the HDF5 file; DataFrames already loaded stay usable."""
        self._f.close()

    def __enter__(self) -> "Result":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"Result({str(self.path)!r}: {self.n_points} point(s) x {self.runs_per_point} "
                f"runs, {self.attrs.get('steps')} steps, status {self.status})")

    # ---- shape and provenance -------------------------------------------
    @property
    def h5(self) -> h5py.File:
        """The underlying h5py file (read-only), for anything not wrapped here."""
        return self._f

    @property
    def status(self) -> str:
        """``complete`` or ``interrupted``."""
        return str(self.attrs.get("status", "?"))

    @property
    def n_points(self) -> int:
        """Sweep points (root attribute ``points``; 1 for ``liqcascade run``)."""
        return int(self.attrs.get("points", 1))

    @property
    def runs_per_point(self) -> int:
        """Runs per sweep point (root attribute ``runs``)."""
        return int(self.attrs["runs"])

    @property
    def dt_seconds(self) -> float:
        """Step length in seconds."""
        return float(self.attrs["dt_seconds"])

    @property
    def steps(self) -> int:
        """Steps per run."""
        return int(self.attrs["steps"])

    @property
    def varied_keys(self) -> list[str]:
        """The scenario keys varied across sweep points (the /points columns other
        than ``point``); empty for a single run."""
        return [c for c in self.points.columns if c != "point"]

    @property
    def resolved(self) -> dict[str, Any]:
        """Every resolved scenario key with its value, from /scenario_resolved's
        attributes (lists for list keys)."""
        if "scenario_resolved" not in self._f:
            return {}
        return {k: _plain(v) for k, v in self._f["scenario_resolved"].attrs.items()
                if k not in ("units", "description")}

    @property
    def scenario_text(self) -> str:
        """The scenario file as given (/scenario)."""
        return self._text("scenario")

    @property
    def scenario_resolved_text(self) -> str:
        """The resolved scenario as YAML (/scenario_resolved)."""
        return self._text("scenario_resolved")

    def _text(self, name: str) -> str:
        if name not in self._f:
            return ""
        v = self._f[name].asstr()[()]
        return str(v)

    # ---- optional tables -------------------------------------------------
    @property
    def has_events(self) -> bool:
        """Whether the file has /events (written with --events)."""
        return "events" in self._f

    @property
    def events(self) -> Optional[pd.DataFrame]:
        """/events as a DataFrame (one row per liquidation), or None."""
        if self._events is None and self.has_events:
            self._events = read_table(self._f["events"])
        return self._events

    def event_columns(self, columns: Sequence[str]) -> pd.DataFrame:
        """Only some /events columns (cheaper than :attr:`events` for big files)."""
        if not self.has_events:
            raise LiqcascadeError(f"{self.path}: no /events (run with --events)")
        if self._events is not None:
            return self._events[list(columns)]
        return read_table(self._f["events"], columns)

    @property
    def population(self) -> Optional[pd.DataFrame]:
        """/population as a DataFrame (one row per account), or None."""
        if self._population is None and "population" in self._f:
            self._population = read_table(self._f["population"])
        return self._population

    # ---- series ----------------------------------------------------------
    @property
    def series_names(self) -> list[str]:
        """Names of the /series datasets in the file."""
        return list(self._f["series"]) if "series" in self._f else []

    def series_units(self, name: str) -> str:
        """The ``units`` attribute of /series/<name>."""
        return str(_plain(self._series_ds(name).attrs.get("units", "")))

    def _series_ds(self, name: str) -> h5py.Dataset:
        if name not in self.series_names:
            raise LiqcascadeError(f"{self.path}: no /series/{name} (series present: "
                                  f"{', '.join(self.series_names) or 'none'})")
        return self._f["series"][name]

    def series_every(self, name: str) -> int:
        """Steps per series column for /series/<name>."""
        ds = self._series_ds(name)
        return int(_plain(ds.attrs.get("every", self.attrs.get("series_every", 1))))

    def time_s(self, name: str = "price") -> np.ndarray:
        """Time of each column of /series/<name> in seconds: column k is
        ``k * every * dt_seconds`` (the end of step k*every; column 0 is t = 0)."""
        ds = self._series_ds(name)
        dt = float(_plain(ds.attrs.get("dt_seconds", self.dt_seconds)))
        return np.arange(ds.shape[1]) * self.series_every(name) * dt

    def point_rows(self, point: int) -> np.ndarray:
        """Row indices of /runs (and /series) that belong to sweep point ``point``."""
        return np.flatnonzero(self.runs["point"].to_numpy() == point)

    def series(self, name: str, point: Optional[int] = None,
               rows: Optional[Sequence[int]] = None) -> np.ndarray:
        """/series/<name> as a float64 array [rows, columns].

        ``point`` selects the rows of one sweep point; ``rows`` selects rows of
        /runs explicitly; neither gives every row present (``runs_completed``).
        """
        ds = self._series_ds(name)
        n = min(ds.shape[0], len(self.runs))
        if rows is None and point is not None:
            rows = self.point_rows(point)
        if rows is None:
            return ds[:n].astype(np.float64)
        idx = np.asarray(rows, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise LiqcascadeError(f"/series/{name}: row out of range 0..{n - 1}")
        if idx.size and np.all(np.diff(idx) == 1):  # contiguous: one slice
            return ds[int(idx[0]):int(idx[-1]) + 1].astype(np.float64)
        return np.stack([ds[int(i)] for i in idx]).astype(np.float64) if idx.size else \
            np.zeros((0, ds.shape[1]))

    def series_frame(self, name: str, row: int) -> pd.DataFrame:
        """One row of /series/<name> (one run) as a DataFrame indexed by ``t_s``
        (seconds), with ``attrs["units"]``."""
        values = self.series(name, rows=[row])[0]
        df = pd.DataFrame({name: values}, index=pd.Index(self.time_s(name), name="t_s"))
        df.attrs["units"] = {name: self.series_units(name), "t_s": "s"}
        return df


def load(path: PathLike) -> Result:
    """Open a result file; raises :class:`LiqcascadeError` with a clear message for a
    missing file, a non-HDF5 file, or an HDF5 file that is not a liqcascade result."""
    return Result(path)
