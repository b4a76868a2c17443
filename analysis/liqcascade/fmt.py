"""Numbers for people: the report's and the figures' way of writing a metric.

The raw values, with every digit, are in metrics.csv; this module only decides how a
reader sees them:

* money (units ``quote``) in the quote currency with a scale: ``10.0 M USD``,
  ``512 USD``, three significant digits (k, M, B, T for thousand, million, billion,
  trillion);
* probabilities and fractions as percentages: ``0.33%``, two decimals under 10%, one
  from 10%; a paired difference of probabilities in percentage points, signed
  (``+0.50 pp``);
* counts with thousands separators: ``1,000 runs``;
* ratios (amplification) as ``1.35×``; other units after three significant digits.

An interval is written after the value in the same scale and without the unit:
``0.33% [0.06, 1.86]``, ``10.0 M USD [8.12 M, 12.3 M]``; an unbounded side is ``∞``.
"""
from __future__ import annotations

import math
from typing import Optional

#: the quote currency's name when nothing in the file says it
QUOTE = "quote"

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _missing(x: Optional[float]) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def sig3(x: float) -> str:
    """``x`` with three significant digits, without exponent for 0.001 <= |x| < 1000
    (``51.2``, ``5.12``, ``0.0512``, ``512``); 0 as ``0``."""
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 99.95:
        s = f"{x:.0f}"
    elif a >= 9.995:
        s = f"{x:.1f}"
    elif a >= 0.9995:
        s = f"{x:.2f}"
    elif a >= 0.001:
        s = f"{x:.3g}"
    else:
        s = f"{x:.2e}"
    return s


def _inf(x: float) -> str:
    return "∞" if x > 0 else "−∞"


def money(x: Optional[float], currency: str = "") -> str:
    """An amount of quote currency: ``10.0 M USD``, ``512 USD``, ``−1.20 k USD``;
    ``currency`` empty for the number alone (``10.0 M``). NaN is ``–``."""
    if _missing(x):
        return "–"
    if math.isinf(x):
        return _inf(x)
    a, s = abs(x), ""
    for size, name in _SCALES:
        if a >= size * 0.9995:  # so that 999,960 is 1.00 M, not 1000 k
            s = f"{sig3(x / size)} {name}"
            break
    else:
        s = number(x)
    s = s.replace("-", "−")
    return f"{s} {currency}" if currency else s


def percent(p: Optional[float], sign: bool = False) -> str:
    """A fraction as a percentage number without the sign: ``0.33``, ``12.5``,
    ``100``; below 0.01% two significant digits (``0.0042``). ``sign``: ``+`` for
    positive values. NaN is ``–``."""
    if _missing(p):
        return "–"
    if math.isinf(p):
        return _inf(p)
    v = 100.0 * p
    a = abs(v)
    if v == 0:
        s = "0"
    elif a >= 99.995 and a <= 100:
        s = "100" if v > 0 else "-100"
    elif a >= 10:
        s = f"{v:.1f}"
    elif a >= 0.01:
        s = f"{v:.2f}"
    else:
        s = f"{v:.2g}"
    if sign and v > 0:
        s = "+" + s
    return s.replace("-", "−")


def count(n: Optional[float]) -> str:
    """A count with thousands separators: ``1,000``; ``–`` for NaN."""
    if _missing(n):
        return "–"
    if math.isinf(n):
        return _inf(n)
    return f"{int(round(n)):,}" if float(n).is_integer() else f"{n:,.2f}"


def price(x: Optional[float]) -> str:
    """A price (quote per base unit): ``60,000``, ``1,950``, ``85.0``, ``0.998``."""
    if _missing(x):
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return sig3(x).replace("-", "−")


def number(x: Optional[float]) -> str:
    """Any other quantity: three significant digits, thousands separators above
    1000."""
    if _missing(x):
        return "–"
    if math.isinf(x):
        return _inf(x)
    if abs(x) >= 1000 or float(x).is_integer():
        return f"{x:,.0f}".replace("-", "−")
    return sig3(x).replace("-", "−")


def kind(metric: str, units: str) -> str:
    """How a metric is written: ``prob`` (p_*), ``money`` (units quote), ``fraction``
    (drawdowns, shares), ``ratio`` (amplification), ``count`` (runs, accounts) or
    ``number``."""
    base = metric.split(".")[0]
    if metric.startswith("p_"):
        return "prob"
    if units == "quote":
        return "money"
    if base in ("max_drawdown", "exo_drawdown", "liq_share"):
        return "fraction"
    if base == "amplification":
        return "ratio"
    if units in ("runs", "accounts") or metric in ("n_runs", "amplification_undefined"):
        return "count"
    return "number"


def value(metric: str, x: Optional[float], units: str, currency: str = QUOTE,
          diff: bool = False, with_unit: bool = True) -> str:
    """One value of ``metric`` (in ``units``) as a person reads it: ``0.33%``,
    ``10.0 M USD``, ``1,000 runs``, ``1.35×``. ``diff``: a paired difference, signed,
    probabilities and fractions in percentage points (``+0.50 pp``). NaN is ``–``."""
    if _missing(x):
        return "–"
    k = kind(metric, units)
    if k in ("prob", "fraction"):
        s, unit = percent(x), " pp" if diff else "%"
    elif k == "money":
        s, unit = money(x), f" {currency}"
    elif k == "ratio":
        s, unit = number(x), "" if diff else "×"
    elif k == "count":
        s, unit = count(x), f" {units}" if units else ""
    else:
        s, unit = number(x), f" {units}" if units not in ("", "1") else ""
    if diff and x > 0:
        s = "+" + s
    return s + unit if with_unit else s


def interval(metric: str, lo: Optional[float], hi: Optional[float], units: str) -> str:
    """``[lo, hi]`` in the scale of :func:`value`, without the unit; ``""`` when the
    metric has no interval (both bounds NaN)."""
    if _missing(lo) and _missing(hi):
        return ""
    return (f"[{value(metric, lo, units, with_unit=False)}, "
            f"{value(metric, hi, units, with_unit=False)}]")


def cell(metric: str, x: Optional[float], lo: Optional[float], hi: Optional[float],
         units: str, currency: str = QUOTE, diff: bool = False) -> str:
    """``value [lo, hi]`` in one string: ``0.33% [0.06, 1.86]``."""
    iv = interval(metric, lo, hi, units)
    v = value(metric, x, units, currency, diff)
    return f"{v} {iv}" if iv else v


def unit_label(units: str, currency: str = QUOTE, metric: str = "") -> str:
    """The unit of an axis: the currency for ``quote``, ``%`` for probabilities and
    fractions, else the unit itself ("" for 1)."""
    k = kind(metric, units) if metric else ("money" if units == "quote" else "number")
    if k == "money":
        return currency
    if k in ("prob", "fraction"):
        return "%"
    if k == "ratio":
        return "×"
    return "" if units == "1" else units
