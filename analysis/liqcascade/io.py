"""Load a liqcascade result file (HDF5 schema v1 or v2, docs/schema.md) into pandas.

Tables become DataFrames whose ``attrs["units"]`` and ``attrs["description"]`` map
each column to the file's ``units`` and ``description`` attributes, so units travel
with the data. Series stay in the file and are read on demand, one block of rows at a
time, since they are the bulk of a file.

Markets (schema v2). A file has one or more markets (/markets; a v1 file has one,
named ``"market"`` like the one market of a one-market v2 file). Series are read as
2-D arrays [rows, time] of one market: ``r.series("price")`` when the file has one
market, ``r.series("price", market="ETH")`` (a name or an index) when it has several;
:func:`open_series` gives every market at once as an xarray Dataset with dimensions
(row, market, time). :meth:`Result.market_runs` is the per-market part of /runs as a
tidy frame, one row per (point, run, market).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import h5py
import numpy as np
import pandas as pd

#: schema versions this package understands
SUPPORTED_SCHEMA = (1, 2)

#: the name of the one market of a schema v1 file (the name a v2 file gives the
#: market of a one-market scenario)
DEFAULT_MARKET = "market"

#: the /runs quantities a v2 file has per market, as columns <quantity>.<market>
#: (the v1 columns of the same name are totals over markets for counts, notionals
#: and oi_end, and the first market's for prices and drawdowns)
MARKET_QUANTITIES = ("price_final", "price_min", "max_drawdown", "exo_drawdown",
                     "liq_count_long", "liq_count_short", "liq_notional_long",
                     "liq_notional_short", "oi_end")

#: /series members that are coordinates (HDF5 dimension scales), not series
COORDINATES = ("row", "market", "time")

#: series of the venue as a whole, [row, time] in v2 too (no market axis)
VENUE_SERIES = ("insurance",)

_MARKET_UNITS = {"name": "text", "price_model": "text", "impact_model": "text",
                 "mark_model": "text", "s0": "quote", "weight": "1"}

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
    present, else link creation order (which h5py's iteration follows). Groups
    inside it (/population/legs) are tables of their own, not columns."""
    datasets = [k for k in group if isinstance(group[k], h5py.Dataset)]
    cols = group.attrs.get("columns")
    if cols is not None:
        names = [c for c in _plain(cols).split(",") if c]
        # columns added by a newer writer but not listed still load, at the end
        return names + [k for k in datasets if k not in names]
    return datasets


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
    * ``scenario_text`` / ``scenario_resolved_text`` -- the two YAML texts;
    * ``markets`` -- /markets as a DataFrame (name, price_model, impact_model,
      mark_model, s0, weight), one row per market in the order of the series' market
      axis; for a v1 file one row named ``"market"`` built from /scenario_resolved.

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
            if "point" not in self.runs:  # schema: row i is point i // runs
                self.runs.insert(0, "point", np.arange(len(self.runs)) // max(self.runs_per_point, 1))
                self.runs.attrs["units"]["point"] = "1"
            if "points" in self._f:
                self.points: pd.DataFrame = read_table(self._f["points"])
            else:  # 0 .. points-1, no more than the rows reach (not sized by an attribute)
                top = int(self.runs["point"].max()) + 1 if len(self.runs) else 0
                self.points = pd.DataFrame({"point": np.arange(min(self.n_points, top),
                                                               dtype=np.int64)})
                self.points.attrs["units"] = {"point": "1"}
                self.points.attrs["description"] = {"point": "sweep point index"}
            self.markets: pd.DataFrame = self._read_markets()
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
        markets = f", markets {', '.join(self.market_names)}" if self.n_markets > 1 else ""
        return (f"Result({str(self.path)!r}: schema {self.attrs.get('schema_version')}, "
                f"{self.n_points} point(s) x {self.runs_per_point} runs, "
                f"{self.attrs.get('steps')} steps{markets}, status {self.status})")

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
    def schema_version(self) -> int:
        """The file's schema version (root attribute ``schema_version``): 1 or 2."""
        return int(self.attrs["schema_version"])

    # ---- markets -----------------------------------------------------------
    def _read_markets(self) -> pd.DataFrame:
        if "markets" in self._f:
            g = self._f["markets"]
            if "name" not in g or g["name"].shape[:1] in ((), (0,)):
                raise LiqcascadeError(f"{self.path}: /markets has no market names")
            # one row per name; a column that is missing or of another length gives
            # NaN (or "") where it has no value, rather than no table at all
            n = g["name"].shape[0]
            data: dict[str, Any] = {}
            for c in dict.fromkeys(list(_MARKET_UNITS) + _column_names(g)):
                ds = g.get(c)
                text = _MARKET_UNITS.get(c) == "text" or (
                    ds is not None and h5py.check_string_dtype(ds.dtype) is not None)
                col = np.full(n, "" if text else np.nan, dtype=object if text else np.float64)
                if isinstance(ds, h5py.Dataset) and ds.ndim == 1:
                    v = ds.asstr()[()] if h5py.check_string_dtype(ds.dtype) else ds[()]
                    k = min(n, len(v))
                    if not text and v.dtype.kind not in "fiub":
                        k = 0
                    col[:k] = v[:k]
                data[c] = col
            m = pd.DataFrame(data)
            m.attrs["units"] = {c: _plain(g[c].attrs.get("units", "")) if c in g
                                else _MARKET_UNITS.get(c, "") for c in m}
            m.attrs["description"] = {c: _plain(g[c].attrs.get("description", "")) if c in g
                                      else "" for c in m}
            return m
        # schema v1: one market, described by the scenario's top-level keys
        res = self.resolved
        m = pd.DataFrame({"name": [DEFAULT_MARKET],
                          "price_model": [str(res.get("price.model", ""))],
                          "impact_model": [str(res.get("impact.model", ""))],
                          "mark_model": [str(res.get("venue.mark.model", ""))],
                          "s0": [float(res.get("price.s0", np.nan))],
                          "weight": [1.0]})
        m.attrs["units"] = dict(_MARKET_UNITS)
        m.attrs["description"] = {c: f"{c} (schema v1: from /scenario_resolved)" for c in m}
        return m

    @property
    def market_names(self) -> list[str]:
        """The markets' names, in /markets order (the series' market axis): e.g.
        ``["BTC", "ETH"]``; ``["market"]`` for a v1 or one-market file."""
        return [str(n) for n in self.markets["name"]]

    @property
    def n_markets(self) -> int:
        """Number of markets (rows of /markets; 1 for a v1 file)."""
        return len(self.markets)

    def market_index(self, market: Union[int, str, np.integer]) -> int:
        """The index of a market on the series' market axis, from its name or index;
        raises LiqcascadeError naming the markets for anything else."""
        names = self.market_names
        if isinstance(market, (int, np.integer)) and not isinstance(market, bool):
            if 0 <= int(market) < len(names):
                return int(market)
        elif isinstance(market, str) and market in names:
            return names.index(market)
        raise LiqcascadeError(f"{self.path}: no market {market!r} (markets: "
                              f"{', '.join(names)}; or an index 0..{len(names) - 1})")

    @property
    def market_quantities(self) -> list[str]:
        """The per-market /runs quantities of the file, in /runs column order: those
        with a column <quantity>.<market> (v2), or for a v1 file the columns of
        :data:`MARKET_QUANTITIES` it has (its one market's)."""
        names = set(self.market_names)
        out: list[str] = []
        if self.schema_version >= 2:
            for c in self.runs.columns:
                q, dot, m = str(c).partition(".")
                if dot and q and m in names and q not in out:
                    out.append(q)
        else:
            out = [q for q in MARKET_QUANTITIES if q in self.runs]
        return out

    def market_runs(self) -> pd.DataFrame:
        """The per-market /runs quantities as a tidy frame: one row per (point, run,
        market), ordered by /runs row then /markets order, with the columns ``row``
        (row of /runs and /series), ``point``, ``run``, ``market`` (its name) and one
        column per quantity (:attr:`market_quantities`: price_final, ...,
        liq_notional_short, oi_end). ``attrs["units"]`` gives each column's units.

        Counts and notionals of a run's markets sum to its /runs totals
        (``df.groupby("row")["liq_notional_long"].sum()``); the long form is
        ``df.melt(id_vars=["row", "point", "run", "market"], var_name="quantity")``.
        A v1 file gives one row per run, market ``"market"``, from its columns.
        """
        runs, names, qs = self.runs, self.market_names, self.market_quantities
        k, n = len(names), len(runs)
        data: dict[str, Any] = {
            "row": np.repeat(np.arange(n, dtype=np.int64), k),
            "point": np.repeat(runs["point"].to_numpy(), k),
            "run": np.repeat(runs["run"].to_numpy(), k) if "run" in runs else
            np.repeat(np.arange(n) % max(self.runs_per_point, 1), k),
            "market": np.tile(np.array(names, dtype=object), n),
        }
        units = {"row": "1", "point": "1", "run": "1", "market": "text"}
        desc = {"row": "row of /runs (and /series)", "point": "sweep point index",
                "run": "run index", "market": "market name (/markets)"}
        v2 = self.schema_version >= 2
        for q in qs:
            cols = [f"{q}.{m}" if v2 else q for m in names]
            block = np.stack([runs[c].to_numpy() if c in runs else np.full(n, np.nan)
                              for c in cols], axis=1)
            data[q] = block.reshape(-1)
            first = next((c for c in cols if c in runs), None)
            units[q] = runs.attrs["units"].get(first, "") if first else ""
            desc[q] = runs.attrs["description"].get(first, "") if first else ""
        df = pd.DataFrame(data)
        df.attrs["units"] = units
        df.attrs["description"] = desc
        return df

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

    @property
    def population_legs(self) -> Optional[pd.DataFrame]:
        """/population/legs as a DataFrame: one row per position (kind 0),
        collateral balance (kind 1) or debt (kind 2, units owed; a lending
        CDP's) of each account that spans markets (its
        ``account`` is the row of :attr:`population`; ``market`` -1 is
        quote), or None (no population, or a file from before accounts
        spanned markets)."""
        if "population/legs" not in self._f:
            return None
        return read_table(self._f["population/legs"])

    # ---- series ----------------------------------------------------------
    @property
    def series_names(self) -> list[str]:
        """Names of the /series datasets in the file (not the coordinates row,
        market and time of a v2 file)."""
        if "series" not in self._f:
            return []
        g = self._f["series"]
        return [k for k in g if isinstance(g[k], h5py.Dataset) and not _is_coordinate(g[k])]

    def series_units(self, name: str) -> str:
        """The ``units`` attribute of /series/<name>."""
        return str(_plain(self._series_ds(name).attrs.get("units", "")))

    def _series_ds(self, name: str) -> h5py.Dataset:
        if name not in self.series_names:
            raise LiqcascadeError(f"{self.path}: no /series/{name} (series present: "
                                  f"{', '.join(self.series_names) or 'none'})")
        return self._f["series"][name]

    def series_per_market(self, name: str) -> bool:
        """Whether /series/<name> has a value per market (price, liq_long, ...) rather
        than one for the venue (insurance). In a v2 file these are the 3-D ones."""
        ds = self._series_ds(name)
        return ds.ndim == 3 if self.schema_version >= 2 else name not in VENUE_SERIES

    def series_every(self, name: str) -> int:
        """Steps per series column for /series/<name>."""
        ds = self._series_ds(name)
        return int(_plain(ds.attrs.get("every", self.attrs.get("series_every", 1))))

    def time_s(self, name: str = "price") -> np.ndarray:
        """Time of each column of /series/<name> in seconds: column k is
        ``k * every * dt_seconds`` (the end of step k*every; column 0 is t = 0)."""
        ds = self._series_ds(name)
        dt = float(_plain(ds.attrs.get("dt_seconds", self.dt_seconds)))
        return np.arange(ds.shape[-1]) * self.series_every(name) * dt

    def point_rows(self, point: int) -> np.ndarray:
        """Row indices of /runs (and /series) that belong to sweep point ``point``."""
        return np.flatnonzero(self.runs["point"].to_numpy() == point)

    def _market_of(self, name: str, ds: h5py.Dataset,
                   market: Optional[Union[int, str]]) -> Optional[int]:
        """The index on the market axis of ds (None: ds has none) for ``market``."""
        if market is not None:
            m = self.market_index(market)  # checked even for a venue-wide series
        if ds.ndim != 3:
            return None
        if market is None:
            if ds.shape[1] != 1:
                raise LiqcascadeError(
                    f"/series/{name} has {ds.shape[1]} markets ({', '.join(self.market_names)}):"
                    f" pass market= (a name or an index), or use liqcascade.open_series for "
                    f"all of them")
            return 0
        if m >= ds.shape[1]:
            raise LiqcascadeError(f"/series/{name}: market {market!r} is index {m}, but the "
                                  f"series has {ds.shape[1]} markets")
        return m

    def series(self, name: str, point: Optional[int] = None,
               rows: Optional[Sequence[int]] = None,
               market: Optional[Union[int, str]] = None) -> np.ndarray:
        """/series/<name> of one market as a float64 array [rows, columns].

        ``point`` selects the rows of one sweep point; ``rows`` selects rows of
        /runs explicitly; neither gives every row present (``runs_completed``).
        ``market`` (a name or an index of :attr:`market_names`) selects the market;
        it may be left out when the file has one market (every v1 file), and must
        be given for a per-market series of a file with several (else
        LiqcascadeError). A venue-wide series (insurance) is the same for every
        market: ``market`` is checked and the venue's series returned.
        """
        ds = self._series_ds(name)
        m = self._market_of(name, ds, market)
        n = min(ds.shape[0], len(self.runs))
        cols = ds.shape[-1]

        def block(a: int, b: int) -> np.ndarray:
            return (ds[a:b] if m is None else ds[a:b, m, :]).astype(np.float64)

        if rows is None and point is not None:
            rows = self.point_rows(point)
        if rows is None:
            return block(0, n)
        idx = np.asarray(rows, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise LiqcascadeError(f"/series/{name}: row out of range 0..{n - 1}")
        if idx.size and np.all(np.diff(idx) == 1):  # contiguous: one slice
            return block(int(idx[0]), int(idx[-1]) + 1)
        return np.concatenate([block(int(i), int(i) + 1) for i in idx]) if idx.size else \
            np.zeros((0, cols))

    def series_frame(self, name: str, row: int,
                     market: Optional[Union[int, str]] = None) -> pd.DataFrame:
        """One row of /series/<name> (one run, one market: ``market`` as in
        :meth:`series`) as a DataFrame indexed by ``t_s`` (seconds), with
        ``attrs["units"]``."""
        values = self.series(name, rows=[row], market=market)[0]
        df = pd.DataFrame({name: values}, index=pd.Index(self.time_s(name), name="t_s"))
        df.attrs["units"] = {name: self.series_units(name), "t_s": "s"}
        return df

    # ---- which market each event is in ------------------------------------
    def event_markets(self) -> Optional[np.ndarray]:
        """Per /events row, the index of its market (in :attr:`market_names`):
        /events/market when the file has it, else the /population ``market`` of the
        event's account (files written with --population), else 0 for a file with
        one market; None when the file cannot tell (several markets, no
        /population) or has no /events."""
        if not self.has_events:
            return None
        ev = self._f["events"]
        if "market" in ev:
            return ev["market"][()].astype(np.int64)
        if self.n_markets == 1:
            return np.zeros(ev["account"].shape[0] if "account" in ev else 0, dtype=np.int64)
        pop = self._f.get("population")
        if pop is None or "market" not in pop or "account" not in ev:
            return None
        acc = ev["account"][()]
        mk = pop["market"][()].astype(np.int64)
        if acc.size and (acc.min() < 0 or acc.max() >= mk.size):
            raise LiqcascadeError(f"{self.path}: /events/account out of range of /population")
        return mk[acc]


def _is_coordinate(ds: h5py.Dataset) -> bool:
    """A dimension scale (the v2 coordinates /series/row, market, time)."""
    return _plain(ds.attrs.get("CLASS", "")) == "DIMENSION_SCALE"


def open_series(source: Union[PathLike, Result]) -> Any:
    """/series as an xarray Dataset with dimensions (row, market, time) and their
    coordinates: ``row`` (= point * runs + run, the row of /runs), ``market`` (the
    names) and ``time`` (seconds, k * every * dt_seconds); the venue-wide
    ``insurance`` has dimensions (row, time). Each variable keeps the file's
    attributes (units, description, every, dt_seconds).

    Schema v2: ``xarray.open_dataset(path, group="series", engine="h5netcdf")``,
    which reads lazily; close it (or use ``with``) when done. Schema v1 has no
    coordinates in the file: the same Dataset is built in memory, with a market
    axis of size 1 named ``"market"``. Needs python3-xarray and python3-h5netcdf.
    """
    result = source if isinstance(source, Result) else None
    own = result is None
    if own:
        result = Result(source)  # the checks: format, schema, status
    try:
        import xarray as xr  # only this function needs xarray

        if result.schema_version >= 2:
            return xr.open_dataset(result.path, group="series", engine="h5netcdf")
        return _series_v1(result, xr)
    finally:
        if own:
            result.close()


def _series_v1(r: Result, xr: Any) -> Any:
    """The Dataset of :func:`open_series` for a schema v1 file, in memory."""
    names = r.series_names
    if not names:
        raise LiqcascadeError(f"{r.path}: no /series")
    g = r.h5["series"]
    rows = min(min(g[n].shape[0] for n in names), len(r.runs))
    time = r.time_s(names[0])
    data = {}
    for name in names:
        ds = g[name]
        if ds.shape[-1] != time.size:
            raise LiqcascadeError(f"/series/{name}: {ds.shape[-1]} columns, /series/"
                                  f"{names[0]} has {time.size}")
        attrs = {k: _plain(v) for k, v in ds.attrs.items()}
        a = ds[:rows]
        data[name] = (("row", "time"), a, attrs) if name in VENUE_SERIES else \
            (("row", "market", "time"), a[:, None, :], attrs)
    coords = {
        "row": ("row", np.arange(rows, dtype=np.int64),
                {"units": "1", "description": "row of /runs: point * runs + run"}),
        "market": ("market", np.array([DEFAULT_MARKET], dtype=object),
                   {"units": "text", "description": "market names (schema v1: one market)"}),
        "time": ("time", time, {"units": "s", "description": "time of each column since t = 0"}),
    }
    desc = _plain(g.attrs.get("description", "per-step paths"))
    return xr.Dataset(data, coords=coords, attrs={"description": desc, "schema_version": 1})


def load(path: PathLike) -> Result:
    """Open a result file; raises :class:`LiqcascadeError` with a clear message for a
    missing file, a non-HDF5 file, or an HDF5 file that is not a liqcascade result."""
    return Result(path)
