#!/usr/bin/python3
"""Generate data/returns/sample.csv: a synthetic series for `price: {model: bootstrap}`.

Not market data: 2,000 one-minute log-returns simulated from a GARCH(1,1) with
Student-t innovations (the same model as models/price/garch.c), with a fixed
seed so the file is reproducible byte for byte on the same numpy version:

    r_t = eps_t,  eps_t = sqrt(h_t) * z_t,  z_t = T_nu * sqrt((nu - 2) / nu)
    h_{t+1} = omega + alpha * eps_t**2 + beta * h_t,  h_1 = omega / (1 - alpha - beta)

alpha 0.1, beta 0.85, nu 5, and omega chosen for an annualised volatility of
0.8 over 365 days at dt = 60 s: omega = 0.8**2 * (60 / (365 * 86400)) * 0.05.
No drift. Usage: python3 data/returns/make_sample.py > data/returns/sample.csv
"""
import sys

import numpy as np

SEED = 20240601
ROWS = 2000
DT_S = 60.0
SIGMA_ANNUAL = 0.8
ALPHA, BETA, NU = 0.1, 0.85, 5.0


def simulate(rows: int, seed: int) -> np.ndarray:
    """GARCH(1,1)-t log-returns per step, started at the unconditional variance."""
    rng = np.random.Generator(np.random.PCG64(seed))
    omega = SIGMA_ANNUAL**2 * (DT_S / (365.0 * 86400.0)) * (1.0 - ALPHA - BETA)
    h = omega / (1.0 - ALPHA - BETA)
    scale = np.sqrt((NU - 2.0) / NU)
    out = np.empty(rows)
    for t in range(rows):
        eps = np.sqrt(h) * scale * rng.standard_t(NU)
        out[t] = eps
        h = omega + ALPHA * eps * eps + BETA * h
    return out


def main() -> None:
    r = simulate(ROWS, SEED)
    w = sys.stdout.write
    w("# synthetic one-minute log-returns: GARCH(1,1)-t, alpha 0.1, beta 0.85, nu 5,\n")
    w("# annual vol 0.8 (365 days), seed %d; made by data/returns/make_sample.py\n" % SEED)
    w("# not market data. interval: 60 s\n")
    w("step,log_return\n")
    for i, x in enumerate(r):
        w("%d,%.10e\n" % (i + 1, x))


if __name__ == "__main__":
    main()
