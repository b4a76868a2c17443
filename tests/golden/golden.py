#!/usr/bin/python3
"""Golden digests: prove that a change keeps every liqcascade output bit-identical.

Runs a fixed list of small cases through a liqcascade binary, each into its own
temporary directory, and hashes the decoded data of every dataset under /runs,
/series, /events, /points and /population of each result file: one SHA-256 per
dataset over its dtype string, its shape and its C-contiguous bytes (text datasets:
each element's UTF-8 bytes, length-prefixed). A one-market /series dataset of schema
v2, [row, 1, time], is hashed as the [row, time] of schema v1: the same numbers. Attributes, /scenario,
/scenario_resolved, the version and git_commit are not hashed, so a digest changes
only when the numbers do.

    /usr/bin/python3 tests/golden/golden.py --bin build/liqcascade --check
    /usr/bin/python3 tests/golden/golden.py --bin build/liqcascade --write
    /usr/bin/python3 tests/golden/golden.py --bin build/liqcascade --check --only rules-fraction

--write (re)writes tests/golden/digests.txt (with --only: only that case's lines).
--check recomputes the digests and compares them with digests.txt; it prints every
mismatching, missing or extra (case, dataset), ends with "N passed, M failed" (cases)
and exits 1 on any difference. Every case also checks that it exercises what it
claims (e.g. ADL fills, partial liquidations and top-ups in /runs), and the cases
run with --engine scan or --batch must give the same digests as their index-engine
twins.

Scenario paths are relative to the repository root, found from this file's place
(tests/golden/..), so a check uses the scenarios of the tree the script is in. Every
scenarios/*.yaml is a case; a new one has no digest until --write is run.
Needs only Debian's /usr/bin/python3 with python3-h5py and python3-numpy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
DIGESTS = Path(__file__).resolve().parent / "digests.txt"
HASHED_GROUPS = ("runs", "series", "events", "points", "population")
THREADS = 2

# ---------------------------------------------------------------------------
# Inline scenarios: JSON is YAML, so a scenario is built as a dict and dumped.
# "{root}" in a string value is replaced by the repository root (data files).

TIERS: list[dict[str, Any]] = [
    {"up_to": 5000, "mmr": 0.004, "max_leverage": 125},
    {"up_to": 25000, "mmr": 0.005, "max_leverage": 100},
    {"up_to": 1.0e300, "mmr": 0.01, "max_leverage": 50},
]
POPULATION: dict[str, Any] = {
    "accounts": 20000,
    "long_fraction": 0.6,
    "notional": {"dist": "pareto", "min": 1000, "alpha": 1.5, "max": 5.0e6},
    "leverage": {"dist": "discrete", "values": [2, 5, 10, 20, 50, 100],
                 "weights": [0.2, 0.25, 0.25, 0.15, 0.1, 0.05]},
    "entry": {"dist": "lognormal", "sigma": 0.02},
}
LINEAR: dict[str, Any] = {"model": "linear", "depth_1pct": 1.0e7}
GBM: dict[str, Any] = {"model": "gbm", "s0": 60000, "sigma": 1.0}


def scenario(price: dict[str, Any] | None = None, impact: dict[str, Any] | None = None,
             population: dict[str, Any] | None = None, venue: dict[str, Any] | None = None,
             simulation: dict[str, Any] | None = None,
             output: dict[str, Any] | None = None) -> str:
    """An inline scenario: the base market with the given sections merged over it."""
    doc: dict[str, Any] = {
        "simulation": {"runs": 24, "steps": 480, "dt": 60, **(simulation or {})},
        "price": price or GBM,
        "impact": impact or LINEAR,
        "population": population or POPULATION,
        "venue": {"tiers": TIERS, "liquidation_fee": 0.005, "insurance_fund": 1.0e6,
                  **(venue or {})},
    }
    if output is not None:
        doc["output"] = output
    return json.dumps(doc, indent=1)


# ---------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    """One liqcascade invocation and what it must exercise.

    what: a line for --list: what the case exercises.
    args: CLI arguments after the scenario (-o, -f, -q and --threads are added).
    scenario: a scenario path relative to the repository root; or
    inline: a scenario's text, written to the case's temporary directory ("{root}"
        replaced by the repository root).
    liquidations: the case must liquidate at least one account.
    require: /runs columns whose sum over all rows must be > 0.
    same_as: a case whose digests this one must equal, dataset for dataset.
    """

    name: str
    what: str
    args: tuple[str, ...]
    scenario: str | None = None
    inline: str | None = None
    command: str = "run"
    liquidations: bool = True
    require: tuple[str, ...] = ()
    same_as: str | None = None


# Shipped scenarios: extra arguments by file stem (any other file gets --runs 16).
SCENARIO_ARGS: dict[str, tuple[str, ...]] = {
    "quickstart": ("--runs", "16", "--steps", "480"),
    "october-2025": ("--runs", "16"),
}
SCENARIO_REQUIRE: dict[str, tuple[str, ...]] = {
    "october-2025": ("adl_count",),
}

RULES_FRACTION: str = scenario(
    price={"model": "gbm", "s0": 60000, "sigma": 1.5},
    impact={"model": "linear", "depth_1pct": 2.0e6, "permanent": 0.8, "half_life": 300},
    venue={"insurance_fund": 2.0e3, "liquidation_fee": 0.0005, "adl": "adl",
           "adl_ranking": "pnl_leverage",
           "partial": {"mode": "fraction", "fraction": 0.3, "cooldown": 3},
           "topup": {"probability": 0.5, "call": 0.8, "delay": 2, "target": 0.5},
           "mark": {"model": "delayed", "steps": 4}},
    population={**POPULATION, "accounts": 5000},
    simulation={"runs": 16, "steps": 360})
RULES_TIER: str = scenario(
    price={"model": "merton", "s0": 60000, "sigma": 1.0, "lambda": 500, "jump_mean": -0.01,
           "jump_sigma": 0.02},
    impact={"model": "linear", "depth_1pct": 2.0e6},
    venue={"insurance_fund": 1.0e3, "adl": "adl", "adl_ranking": "binance",
           "partial": {"mode": "tier"},
           "topup": {"probability": 0.8, "call": 0.7, "delay": 0, "target": 0.4},
           "mark": {"model": "ema", "half_life": 180}},
    population={**POPULATION, "accounts": 5000},
    simulation={"runs": 16, "steps": 360})


def fixed_cases() -> list[Case]:
    """Every case but the shipped scenarios."""
    ev = ("--events",)
    return [
        Case("sweep-margin-study", "sweep template, two --vary keys (tier mmr and the leverage "
             "cap, so four points, each warming its own population), --events",
             ("--runs", "16", "--set", "population.accounts=20000",
              "--vary", "venue.tiers.0.mmr=0.004,0.006",
              "--vary", "venue.tiers.0.max_leverage=125,50", *ev),
             scenario="scenarios/margin-study.yaml", command="sweep"),
        Case("sweep-shared-population", "sweep over the fee and a text-valued mark (/points "
             "text column), one shared population, --population --events",
             ("--seed", "101", "--vary", "venue.liquidation_fee=0.002,0.01",
              "--vary", "venue.mark={model: last},{model: delayed, steps: 2}",
              "--population", *ev),
             inline=scenario(simulation={"runs": 12, "steps": 240}), command="sweep"),
        # price models, each on the linear-impact population
        Case("price-gbm", "gbm", ("--seed", "1", *ev), inline=scenario()),
        Case("price-merton", "merton jumps; leverage fixed",
             ("--seed", "2", *ev),
             inline=scenario(price={"model": "merton", "s0": 60000, "sigma": 0.6,
                                    "lambda": 200, "jump_mean": -0.02, "jump_sigma": 0.03},
                             population={**POPULATION, "leverage": {"dist": "fixed",
                                                                    "value": 25}})),
        Case("price-garch", "garch, Student-t; entry fixed", ("--seed", "3", *ev),
             inline=scenario(price={"model": "garch", "s0": 60000, "omega": 1.5e-7,
                                    "alpha": 0.1, "beta": 0.85, "nu": 4},
                             population={**POPULATION, "entry": {"dist": "fixed",
                                                                 "value": 1.0}})),
        Case("price-heston", "heston; notional uniform", ("--seed", "4", *ev),
             inline=scenario(price={"model": "heston", "s0": 60000, "v0": 1.0, "kappa": 4,
                                    "theta": 1.0, "xi": 2.0, "rho": -0.5},
                             population={**POPULATION, "notional": {
                                 "dist": "uniform", "min": 1000, "max": 20000}})),
        Case("price-regime", "two-regime switching; notional fixed", ("--seed", "5", *ev),
             inline=scenario(price={"model": "regime", "s0": 60000, "sigma_1": 0.5,
                                    "sigma_2": 2.5, "rate_12": 200, "rate_21": 400,
                                    "start": 0},
                             population={**POPULATION, "notional": {"dist": "fixed",
                                                                    "value": 3000}})),
        Case("price-bootstrap", "block bootstrap of data/returns/sample.csv", ("--seed", "6", *ev),
             inline=scenario(price={"model": "bootstrap", "s0": 60000,
                                    "file": "{root}/data/returns/sample.csv", "interval": 60,
                                    "mean_block_length": 20})),
        Case("price-bridge", "Brownian bridge through two pins", ("--seed", "7", *ev),
             inline=scenario(price={"model": "bridge", "s0": 60000, "sigma": 0.8,
                                    "pin_times": [7200, 21600], "pin_prices": [55000, 58000]})),
        Case("price-shock-exp", "price.shock (exp shape) on gbm", ("--seed", "8", *ev),
             inline=scenario(price={"model": "gbm", "s0": 60000, "sigma": 0.4, "shock": {
                 "shape": "exp", "size": -0.12, "start": 3600, "duration": 1800, "rate": 4}})),
        Case("price-shock-step", "price.shock (step up: short squeeze) on heston",
             ("--seed", "9", *ev),
             inline=scenario(price={"model": "heston", "s0": 60000, "v0": 0.3, "theta": 0.3,
                                    "shock": {"shape": "step", "size": 0.1, "start": 5400}}),
             require=("liq_count_short",)),
        # impact models (linear is in every other inline case)
        Case("impact-sqrt", "square-root impact", ("--seed", "10", *ev),
             inline=scenario(impact={"model": "sqrt", "Y": 1.0, "sigma_daily": 0.05,
                                     "adv": 2.0e9})),
        Case("impact-book", "power-law book, transient part", ("--seed", "11", *ev),
             inline=scenario(impact={"model": "book", "depth_1pct": 1.0e7, "alpha": 1.5,
                                     "permanent": 0.5, "half_life": 600})),
        Case("impact-amm", "constant-product pool with a fee", ("--seed", "12", *ev),
             inline=scenario(impact={"model": "amm", "liquidity": 5.0e8, "fee": 0.003})),
        Case("impact-none", "no impact", ("--seed", "13", *ev),
             inline=scenario(price={"model": "gbm", "s0": 60000, "sigma": 1.5},
                             impact={"model": "none"})),
        Case("impact-withdrawal", "liquidity withdrawal (impact.withdrawal > 0)",
             ("--seed", "14", *ev),
             inline=scenario(price={"model": "gbm", "s0": 60000, "sigma": 1.5},
                             impact={"model": "linear", "depth_1pct": 1.0e7, "withdrawal": 3,
                                     "sigma_ref": 0.6, "vol_half_life": 1200,
                                     "permanent": 0.7, "half_life": 1800})),
        # mark models (last is the default of every other case)
        Case("mark-delayed", "oracle mark: delayed", ("--seed", "15", *ev),
             inline=scenario(venue={"mark": {"model": "delayed", "steps": 3}})),
        Case("mark-ema", "oracle mark: ema", ("--seed", "16", *ev),
             inline=scenario(venue={"mark": {"model": "ema", "half_life": 600}})),
        Case("mark-deviation", "oracle mark: deviation", ("--seed", "17", *ev),
             inline=scenario(venue={"mark": {"model": "deviation", "threshold": 0.004,
                                             "heartbeat": 600}})),
        # the venue rules together, both engines
        Case("rules-fraction", "ADL (pnl_leverage) + partial fraction with cooldown + "
             "top-ups with delay + delayed mark, index engine",
             ("--seed", "18", *ev), inline=RULES_FRACTION,
             require=("adl_count", "partial_count", "call_count", "topup_count")),
        Case("rules-fraction-scan", "rules-fraction with --engine scan",
             ("--seed", "18", "--engine", "scan", *ev), inline=RULES_FRACTION,
             require=("adl_count", "partial_count", "call_count", "topup_count"),
             same_as="rules-fraction"),
        Case("rules-fraction-batch", "rules-fraction with --batch 3 (batches never change "
             "results)", ("--seed", "18", "--batch", "3", *ev), inline=RULES_FRACTION,
             require=("adl_count", "partial_count", "call_count", "topup_count"),
             same_as="rules-fraction"),
        Case("rules-tier", "ADL (binance) + partial tier + top-ups at once + ema mark, "
             "merton jumps, index engine",
             ("--seed", "19", *ev), inline=RULES_TIER,
             require=("adl_count", "partial_count", "call_count", "topup_count")),
        Case("rules-tier-scan", "rules-tier with --engine scan",
             ("--seed", "19", "--engine", "scan", *ev), inline=RULES_TIER,
             require=("adl_count", "partial_count", "call_count", "topup_count"),
             same_as="rules-tier"),
        Case("adl-size", "ADL ranked by size, deviation mark", ("--seed", "20", *ev),
             inline=scenario(price={"model": "gbm", "s0": 60000, "sigma": 1.5},
                             impact={"model": "linear", "depth_1pct": 5.0e6},
                             venue={"insurance_fund": 1.0e4, "adl": "adl",
                                    "adl_ranking": "size",
                                    "mark": {"model": "deviation", "threshold": 0.01,
                                             "heartbeat": 300}}),
             require=("adl_count",)),
        Case("adl-hyperliquid", "ADL ranked hyperliquid-style, last mark (shortfalls from "
             "impact alone)", ("--seed", "21", *ev),
             inline=scenario(price={"model": "gbm", "s0": 60000, "sigma": 1.5},
                             impact={"model": "linear", "depth_1pct": 2.0e6},
                             venue={"insurance_fund": 0, "adl": "adl",
                                    "adl_ranking": "hyperliquid"}),
             require=("adl_count",)),
        # populations and output options
        Case("population-dump", "--population; notional lognormal, leverage and entry "
             "uniform", ("--seed", "22", "--population", *ev),
             inline=scenario(population={
                 "accounts": 8000, "long_fraction": 0.5,
                 "notional": {"dist": "lognormal", "median": 5000, "sigma": 1.0},
                 "leverage": {"dist": "uniform", "min": 2, "max": 60},
                 "entry": {"dist": "uniform", "min": 0.97, "max": 1.03}})),
        Case("population-csv", "positions file data/positions/example.csv",
             ("--seed", "23", "--population", *ev),
             inline=scenario(price={"model": "gbm", "s0": 60000, "sigma": 2.0},
                             population={"file": "{root}/data/positions/example.csv"})),
        Case("max-rounds", "simulation.max_rounds 2 (truncated steps), output.every 8 with "
             "a series subset, no --events", ("--seed", "24"),
             inline=scenario(price={"model": "gbm", "s0": 60000, "sigma": 1.5},
                             impact={"model": "linear", "depth_1pct": 3.0e6},
                             simulation={"max_rounds": 2},
                             output={"series": ["price", "mark", "liq_long", "oi"],
                                     "every": 8}),
             require=("truncated",)),
        Case("bench-calm", "bench/calm.yaml: 200,000 accounts, few liquidations, no series "
             "(empty /series)", ("--runs", "16", "--steps", "480",
                                 "--set", "population.accounts=200000", *ev),
             scenario="bench/calm.yaml"),
        Case("no-accounts", "population.accounts 0: price paths alone", ("--seed", "25", *ev),
             inline=scenario(population={**POPULATION, "accounts": 0}), liquidations=False),
    ]


def scenario_cases() -> list[Case]:
    """One case per scenarios/*.yaml, found by glob so that new files are covered."""
    cases = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        stem = path.stem
        cases.append(Case(f"scenario-{stem}", f"shipped scenario {path.name}, --events",
                          (*SCENARIO_ARGS.get(stem, ("--runs", "16")), "--events"),
                          scenario=f"scenarios/{path.name}",
                          require=SCENARIO_REQUIRE.get(stem, ())))
    return cases


def all_cases() -> list[Case]:
    """Every case, in run order, checked for consistency."""
    cases = scenario_cases() + fixed_cases()
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    for c in cases:
        assert (c.scenario is None) != (c.inline is None), c.name
        assert c.same_as is None or c.same_as in names, c.name
    return cases


# ---------------------------------------------------------------------------
# Hashing


def digest_dataset(ds: h5py.Dataset) -> str:
    """SHA-256 of a dataset's decoded data: dtype string, shape, C-order bytes."""
    h = hashlib.sha256()
    if h5py.check_string_dtype(ds.dtype) is not None:
        values = np.asarray(ds.asstr()[()], dtype=object)
        h.update(b"utf-8 text")
        h.update(repr(values.shape).encode())
        for v in values.reshape(-1):
            b = str(v).encode("utf-8")
            h.update(len(b).to_bytes(8, "little"))
            h.update(b)
        return h.hexdigest()
    arr = np.ascontiguousarray(ds[()])
    if ds.name.startswith("/series/") and arr.ndim == 3 and arr.shape[1] == 1:
        # schema v2's [row, market, time] of a one-market file holds the same
        # numbers as v1's [row, time]: hashed as that, so v1 digests still check it
        arr = arr.reshape(arr.shape[0], arr.shape[2])
    h.update(arr.dtype.str.encode())
    h.update(repr(arr.shape).encode())
    h.update(arr.tobytes(order="C"))
    return h.hexdigest()


def digest_file(path: Path) -> dict[str, str]:
    """Digest of every dataset under the hashed groups, keyed by its path."""
    out: dict[str, str] = {}
    with h5py.File(path, "r") as f:
        for group in HASHED_GROUPS:
            if group not in f:
                continue

            def visit(name: str, obj: Any, group: str = group) -> None:
                if isinstance(obj, h5py.Dataset):
                    out[f"/{group}/{name}"] = digest_dataset(obj)

            f[group].visititems(visit)
    return out


def exercised(path: Path, case: Case) -> list[str]:
    """What the case claims but its output does not show (empty: all shown)."""
    problems = []
    with h5py.File(path, "r") as f:
        if f.attrs.get("status") != "complete":
            problems.append(f"status {f.attrs.get('status')!r}, not 'complete'")
        groups = ["runs", "series", "points"]
        groups += [g for g in ("events", "population") if f"--{g}" in case.args]
        for g in groups:
            if g not in f:
                problems.append(f"no /{g} group")
        runs = f["runs"]
        liq = int(np.sum(runs["liq_count_long"][()]) + np.sum(runs["liq_count_short"][()]))
        if "cdp_liq_count" in runs:  # lending CDPs liquidated count too
            liq += int(np.sum(runs["cdp_liq_count"][()]))
        if case.liquidations and liq == 0:
            problems.append("no liquidation in /runs")
        for col in case.require:
            if col not in runs:
                problems.append(f"no /runs/{col}")
            elif not np.sum(runs[col][()]) > 0:
                problems.append(f"/runs/{col} sums to 0")
    return problems


# ---------------------------------------------------------------------------
# Running


@dataclass
class Result:
    """One case's digests, what went wrong, and the provenance of its file."""

    case: Case
    digests: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    git_commit: str = ""
    version: str = ""
    seconds: float = 0.0


def run_case(case: Case, binary: Path, threads: int, keep: Path | None) -> Result:
    """Run one case in a fresh temporary directory and hash its output."""
    res = Result(case)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"golden-{case.name}-") as tmp:
        work = Path(tmp)
        if case.inline is not None:
            scn = work / f"{case.name}.yaml"
            scn.write_text(case.inline.replace("{root}", str(ROOT)))
        else:
            scn = ROOT / str(case.scenario)
        out = (keep or work) / f"{case.name}.h5"
        cmd = [str(binary), case.command, str(scn), "-o", str(out), "-f", "-q",
               "--threads", str(threads), *case.args]
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        if proc.returncode != 0:
            msg = (proc.stderr or proc.stdout).strip().splitlines() or ["(no output)"]
            res.errors.append(f"exit {proc.returncode}: {' | '.join(msg[-5:])}")
            res.errors.append("command: " + " ".join(cmd))
        else:
            try:
                res.digests = digest_file(out)
                res.errors += exercised(out, case)
                with h5py.File(out, "r") as f:
                    res.git_commit = str(f.attrs.get("git_commit", ""))
                    res.version = str(f.attrs.get("version", ""))
            except (OSError, KeyError) as e:  # an unreadable file or a missing table
                res.errors.append(f"cannot read {out.name}: {e}")
    res.seconds = time.monotonic() - t0
    return res


def read_digests(path: Path) -> dict[str, dict[str, str]]:
    """digests.txt as {case: {dataset: sha256}}."""
    table: dict[str, dict[str, str]] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        case, dataset, sha = line.split()
        table.setdefault(case, {})[dataset] = sha
    return table


def tree_commit() -> str:
    """The commit of the tree the script is in (with -dirty), or 'unknown'."""
    try:
        return subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_digests(table: dict[str, dict[str, str]], binary_commit: str, version: str,
                  threads: int) -> None:
    header = [
        "# Golden digests of liqcascade outputs (tests/golden/README.md): one SHA-256 per",
        "# dataset under /runs, /series, /events, /points, /population of each case's file,",
        "# over the decoded data (dtype, shape, C-order bytes); attributes are not hashed.",
        f"# Generated from commit {tree_commit()} (binary git_commit {binary_commit}, "
        f"liqcascade {version}) with --threads {threads}.",
        "# Regenerate only for an intended change of results, with the reason written in",
        "# the commit message and docs/validation.md:",
        "#   /usr/bin/python3 tests/golden/golden.py --bin build/liqcascade --write",
        "# format: case dataset sha256",
    ]
    # the history of the digests ("# history: ..." lines) is kept across rewrites
    history = [line for line in DIGESTS.read_text().splitlines()
               if line.startswith("# history:")] if DIGESTS.exists() else []
    lines = sorted(f"{c} {d} {s}" for c, ds in table.items() for d, s in ds.items())
    DIGESTS.write_text("\n".join(header[:-1] + history + header[-1:] + lines) + "\n")


def compare(want: dict[str, str], got: dict[str, str]) -> list[str]:
    """Every dataset that differs, is missing or is extra, as 'dataset: what'."""
    problems = []
    for d in sorted(set(want) | set(got)):
        if d not in got:
            problems.append(f"{d}: missing (in digests.txt, not in the output)")
        elif d not in want:
            problems.append(f"{d}: extra (in the output, not in digests.txt)")
        elif want[d] != got[d]:
            problems.append(f"{d}: mismatch")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", type=Path, help="the liqcascade binary (required but for --list)")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="compare with digests.txt")
    mode.add_argument("--write", action="store_true", help="(re)write digests.txt")
    mode.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--only", action="append", metavar="CASE",
                    help="only this case (repeatable)")
    ap.add_argument("--threads", type=int, default=THREADS,
                    help=f"threads per run (default {THREADS}; results must not depend on it)")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="keep the result files in DIR (outside the repository)")
    args = ap.parse_args(argv)

    cases = all_cases()
    if args.list:
        for c in cases:
            print(f"{c.name:26} {c.what}")
        return 0
    if args.only:
        unknown = sorted(set(args.only) - {c.name for c in cases})
        if unknown:
            print(f"unknown case(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
            return 2
        chosen = set(args.only)
        chosen |= {c.same_as for c in cases if c.name in chosen and c.same_as}
        cases = [c for c in cases if c.name in chosen]
    if args.bin is None:
        ap.error("--bin is required")
    binary = args.bin.resolve()
    if not binary.is_file():
        print(f"no binary at {binary}", file=sys.stderr)
        return 2
    if args.keep:
        args.keep = args.keep.resolve()
        args.keep.mkdir(parents=True, exist_ok=True)

    want: dict[str, dict[str, str]] = {}
    if args.check or args.only:
        if DIGESTS.exists():
            want = read_digests(DIGESTS)
        elif args.check:
            print(f"no {DIGESTS}: run --write first", file=sys.stderr)
            return 2

    t0 = time.monotonic()
    results: dict[str, Result] = {}
    for c in cases:
        r = run_case(c, binary, args.threads, args.keep)
        results[c.name] = r
        print(f"  ran {c.name} ({len(r.digests)} datasets, {r.seconds:.1f} s)", flush=True)
    for r in results.values():
        twin = results.get(r.case.same_as or "")
        if twin is not None and r.digests and twin.digests:
            for d in sorted(set(twin.digests) | set(r.digests)):
                if twin.digests.get(d) != r.digests.get(d):
                    r.errors.append(f"{d} differs from {twin.case.name}'s (twins must be "
                                    f"identical)")

    failed: set[str] = set()
    for name, r in results.items():
        for e in r.errors:
            print(f"FAIL {name}: {e}")
            failed.add(name)

    if args.write:
        if failed:
            print(f"not written: {len(failed)} case(s) failed")
            print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
            return 1
        table = {n: d for n, d in want.items() if n in {c.name for c in all_cases()}}
        table.update({n: r.digests for n, r in results.items()})
        first = next(iter(results.values()))
        write_digests(table, first.git_commit, first.version, args.threads)
        print(f"wrote {DIGESTS} ({sum(map(len, table.values()))} digests, {len(table)} cases, "
              f"{time.monotonic() - t0:.1f} s)")
        print(f"{len(results)} passed, 0 failed")
        return 0

    for name, r in results.items():
        if name not in want:
            print(f"FAIL {name}: missing: no digests in digests.txt "
                  f"(a new case or scenario? run --write)")
            failed.add(name)
            continue
        if r.digests:
            problems = compare(want[name], r.digests)
            for p in problems:
                print(f"FAIL {name} {p}")
            if problems:
                failed.add(name)
    extra = sorted(set(want) - set(results)) if not args.only else []
    for name in extra:
        print(f"FAIL {name}: extra: in digests.txt but no longer a case "
              f"(removed or renamed? run --write)")
    n_fail = len(failed) + len(extra)
    print(f"check took {time.monotonic() - t0:.1f} s with {args.bin}")
    print(f"{len(results) - len(failed)} passed, {n_fail} failed")
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
