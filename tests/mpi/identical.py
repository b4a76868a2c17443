#!/usr/bin/python3
"""The MPI build against the serial one (issue "Runs across machines", DESIGN §17).

    identical.py --mpi build-mpi/liqcascade --serial build/liqcascade [--mpirun mpirun]

1. Identical datasets: `mpirun -np 1, 2, 3` with 1 and 2 threads per rank give
   /runs, /series, /events and /points bit-identical to the serial binary
   (SHA-256 of each dataset's decoded data, tests/golden/golden.py), for a run
   with events whose batches hold whole series chunks (compressed on the rank
   that computed them), a sweep whose ranges cross its points, and the default
   batches.
2. SIGTERM or SIGINT to mpirun: every rank stops, the file keeps the completed runs in
   order with status "interrupted", and they are the serial binary's rows.
3. A rank that fails fails the job: non-zero exit, rank 0 names the rank and
   the run, and there is no OUT.h5 (nor OUT.h5.partial).
4. A set-up failure of rank 0 (OUT.h5 exists, no --force) ends every rank; ranks
   given different jobs refuse to start; the serial binary under mpirun refuses.
5. Rank 0 prints what one process prints (the --json summary, the finders'
   evaluations of accounts that span markets, counted on every rank).

Needs Open MPI's mpirun (`sh .ci/deps mpi`) and Debian's python3-h5py.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "golden"))
import golden  # noqa: E402  (digest_file: one digest per dataset)

QUICK = str(ROOT / "scenarios" / "quickstart.yaml")
# 1,440 steps: 1,441 float columns a row, 45 rows per /series chunk
# (256 KiB, sim/out/writer.c), so --batch 45 puts every batch on the grid
SMALL = ["--set", "population.accounts=3000"]
# some runs of this one leave the float32 range (run 1 first, with seed 2):
# GBM with no log drift and a standard deviation of 13.4 a step
FAILING = ["--runs", "12", "--set", "simulation.seed=2", "--set", "simulation.steps=20",
           "--set", "simulation.dt=28900000", "--set", "population.accounts=200",
           "--set", "price.sigma=14", "--set", "price.mu=98"]
# long enough to be stopped (about 10 s on 2 cores), two series at every 100th step
LONG = ["--runs", "4000", "--batch", "45", "--set", "simulation.steps=144000",
        "--set", "output.series=[price,liq_long]", "--set", "output.every=100"]
# a thin book whose cascades liquidate much of it: with --max-memory 400M a batch's
# events fill their 16 MiB floor after about a dozen runs, so a range is sent in pieces
EVENTS = ["run", str(ROOT / "bench" / "bench.yaml"), "--runs", "200", "--batch", "45", "--events",
          "--set", "population.accounts=100000", "--max-memory", "400M"]
SPANNING = ["run", str(ROOT / "scenarios" / "october-2025-markets.yaml"), "--runs", "16"]

failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def env() -> dict[str, str]:
    e = dict(os.environ)
    # Open MPI refuses root without these; Ctrl-C / SIGTERM to mpirun reaches
    # the ranks as SIGTERM after odls_base_sigkill_timeout seconds and SIGKILL
    # as many seconds later: the ranks' time to finish the file
    e.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
             OMPI_MCA_odls_base_sigkill_timeout="4", OMPI_MCA_btl_vader_single_copy_mechanism="none")
    return e


def mpirun(args: argparse.Namespace, np: int) -> list[str]:
    return [args.mpirun, "--oversubscribe", "--bind-to", "none", "-np", str(np), args.mpi]


def run(cmd: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=timeout)


def identical(args: argparse.Namespace, tmp: Path) -> None:
    cases = {
        "run, events, batches of whole chunks": ["run", QUICK, "--runs", "200", "--batch", "45",
                                                 "--events", *SMALL],
        "sweep of 2 points, ranges across them": ["sweep", QUICK, "--runs", "70", "--batch", "45",
                                                  "--vary", "venue.liquidation_fee=0.005,0.01",
                                                  "--events", *SMALL],
        "run, default batches": ["run", QUICK, "--runs", "150", *SMALL],
        "run, events filling batches (pieces within ranges)": EVENTS,
    }
    for name, argv in cases.items():
        ref = tmp / "serial.h5"
        p = run([args.serial, *argv, "-o", str(ref), "-f", "-q", "--threads", "2"])
        if p.returncode != 0:
            check(False, f"{name}: serial run: {p.stderr.strip()}")
            continue
        want = golden.digest_file(ref)
        groups = {k.split("/")[1] for k in want}
        layouts = [(np, th) for np in (1, 2, 3) for th in (1, 2)]
        if name != "run, events, batches of whole chunks":
            layouts = [(2, 1), (3, 2)]
        for np, th in layouts:
            out = tmp / f"mpi-{np}-{th}.h5"
            p = run([*mpirun(args, np), *argv, "-o", str(out), "-f", "-q", "--threads", str(th)])
            if p.returncode != 0:
                check(False, f"{name}: -np {np} --threads {th}: exit {p.returncode}: "
                             f"{p.stderr.strip()[-400:]}")
                continue
            got = golden.digest_file(out)
            with h5py.File(out, "r") as f:
                status = f.attrs["status"]
            status = status.decode() if isinstance(status, bytes) else str(status)
            differ = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
            if status != "complete":
                differ.append(f"status {status}")
            check(not differ and len(want) > 10,
                  f"{name}: -np {np} --threads {th}: {len(want)} datasets of "
                  f"{', '.join(sorted(groups))} identical to the serial binary's"
                  + (f"; differ: {differ[:5]}" if differ else ""))
            out.unlink()


def printed(args: argparse.Namespace, tmp: Path) -> None:
    """What rank 0 prints is what one process prints: the summary (--json) and the
    finders' evaluations of the accounts that span markets (gathered from every rank)."""
    out = tmp / "printed.h5"

    def said(cmd: list[str]) -> tuple[str, str]:
        p = run([*cmd, *SPANNING, "-o", str(out), "-f", "--json"])
        summary = p.stdout.split('"points": ', 1)[-1]
        line = next((ln.strip() for ln in p.stderr.splitlines() if "evaluated" in ln), "")
        return summary, line

    want = said([args.serial])
    got = said(mpirun(args, 2))
    check(want == got and want[1] != "",
          f"rank 0 prints one process's summary and '{got[1][:70]}'"
          + ("" if want == got else f" (serial: '{want[1][:70]}')"))


def interrupted(args: argparse.Namespace, tmp: Path, sig: int) -> None:
    name = signal.Signals(sig).name
    out = tmp / "stopped.h5"
    cmd = [*mpirun(args, 2), "run", QUICK, *LONG, "--threads", "1", "-o", str(out), "-f", "-q"]
    p = subprocess.Popen(cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    time.sleep(2.0)
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        check(False, f"{name} to mpirun: the job did not end within 120 s")
        return
    if not out.exists():
        check(False, f"{name} to mpirun: no {out.name} (exit {p.returncode}): {err.strip()[-400:]}")
        return
    with h5py.File(out, "r") as f:
        status = f.attrs["status"]
        status = status.decode() if isinstance(status, bytes) else str(status)
        done = int(f.attrs["runs_completed"])
        runs = f["runs/run"][()]
    check(status == "interrupted" and 0 < done < 4000 and list(runs) == list(range(done)),
          f"{name} to mpirun: status {status}, {done} of 4000 runs kept, rows 0 to {done - 1} "
          f"in order (exit {p.returncode})")
    ref = tmp / "stopped-serial.h5"
    argv = [a if a != "4000" else str(done) for a in LONG]
    q = run([args.serial, "run", QUICK, *argv, "-o", str(ref), "-f", "-q"])
    want, got = golden.digest_file(ref), golden.digest_file(out)
    check(q.returncode == 0 and want == got,
          f"{name} to mpirun: its {done} runs are the serial binary's with --runs {done}")


def failing(args: argparse.Namespace, tmp: Path) -> None:
    out = tmp / "failed.h5"
    p = run([*mpirun(args, 2), "run", QUICK, *FAILING, "--batch", "1", "--threads", "1",
             "-o", str(out), "-f"], timeout=120)
    partial = out.with_name(out.name + ".partial")
    check(p.returncode != 0 and "rank 1 of 2: run 1, step 20" in p.stderr
          and not out.exists() and not partial.exists(),
          f"a failing rank fails the job: exit {p.returncode}, no {out.name}, rank 0 says: "
          + next((ln for ln in p.stderr.splitlines() if "rank 1" in ln), "(nothing)")[:160])


def other_job(args: argparse.Namespace, tmp: Path) -> None:
    out = tmp / "mixed.h5"
    base = ["run", QUICK, *SMALL, "-o", str(out), "-q"]
    cmd = [args.mpirun, "--oversubscribe", "--bind-to", "none", "-np", "1", args.mpi, *base,
           "--runs", "10", ":", "-np", "1", args.mpi, *base, "--runs", "11"]
    p = run(cmd, timeout=120)
    check(p.returncode != 0 and "rank 1 of 2: simulates another job" in p.stderr
          and not out.exists(),
          f"ranks given different jobs (mpirun A : B) refuse to start: exit {p.returncode}")
    p = run([*mpirun(args, 2)[:-1], args.serial, *base, "--runs", "10"], timeout=120)
    check(p.returncode == 2 and "built without MPI" in p.stderr and not out.exists(),
          f"the serial binary under mpirun -np 2 refuses (not 2 copies into one file): "
          f"exit {p.returncode}")


def setup_failure(args: argparse.Namespace, tmp: Path) -> None:
    out = tmp / "exists.h5"
    out.write_bytes(b"not ours")
    p = run([*mpirun(args, 3), "run", QUICK, "--runs", "10", *SMALL, "-o", str(out)], timeout=120)
    check(p.returncode != 0 and "exists" in p.stderr and out.read_bytes() == b"not ours",
          f"rank 0's set-up failure ends every rank: exit {p.returncode}, file untouched, "
          + next((ln for ln in p.stderr.splitlines() if "exists" in ln), "(no message)")[:120])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mpi", required=True, help="the MPI build's liqcascade")
    ap.add_argument("--serial", required=True, help="a serial build's liqcascade")
    ap.add_argument("--mpirun", default="mpirun")
    args = ap.parse_args()
    if not Path(args.serial).exists():
        print(f"identical.py: no serial binary at {args.serial} (build it first: make build)")
        return 1
    with tempfile.TemporaryDirectory(prefix="lc-mpi-") as d:
        tmp = Path(d)
        identical(args, tmp)
        printed(args, tmp)
        interrupted(args, tmp, signal.SIGTERM)
        interrupted(args, tmp, signal.SIGINT)
        failing(args, tmp)
        other_job(args, tmp)
        setup_failure(args, tmp)
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
