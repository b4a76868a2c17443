"""The report's index.html in a real browser (headless Chromium): nothing runs off the
page sideways and every figure loads, at a laptop's 1280 px and a narrow 800 px.

Each page is copied, beside the original (so its relative image links resolve), with
a small script appended that measures the laid-out page once everything has loaded
and writes the measurements as JSON into a <pre>; `chromium --headless --dump-dom`
prints the DOM after the page has settled, and the test reads them back. Skipped,
saying so, where no Chromium is installed (`sh .ci/deps browser` installs Debian's)."""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from liqcascade.report import main as report_main

from conftest import TWO_MARKETS, binary


WIDTHS = (1280, 800)

PROBE = """
<script>
window.addEventListener("load", function () {
  var root = document.documentElement, wide = [];
  document.querySelectorAll("body *").forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > root.clientWidth + 0.5 && wide.length < 10)
      wide.push(el.tagName + (el.id ? "#" + el.id : "") + " right=" + Math.round(r.right)
                + " " + (el.textContent || "").slice(0, 40));
  });
  var images = Array.prototype.map.call(document.images, function (im) {
    return {src: im.getAttribute("src"), complete: im.complete, width: im.naturalWidth};
  });
  var out = document.createElement("pre");
  out.id = "lc-probe";
  out.textContent = JSON.stringify({scrollWidth: root.scrollWidth,
    clientWidth: root.clientWidth, innerWidth: window.innerWidth, wide: wide,
    images: images});
  document.body.appendChild(out);
});
</script>
"""


def chromium() -> str:
    """The Chromium binary, or skip the test (with how to get one)."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    pytest.skip("no Chromium (chromium on PATH or /usr/bin/chromium): `sh .ci/deps "
                "browser` installs it; the report's layout test needs a real browser")


def measure(page: Path, width: int, tmp: Path) -> dict:
    """Lay ``page`` out in headless Chromium at ``width`` px and return the probe's
    measurements."""
    probe = page.with_name(f"_probe_{width}.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                     encoding="utf-8")
    profile = tmp / f"chromium-{width}"  # a profile of its own: no user's, no lock
    cmd = [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu",
           "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run",
           f"--user-data-dir={profile}", f"--window-size={width},900",
           "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()]
    env = dict(os.environ, HOME=str(tmp))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    m = re.search(r'<pre id="lc-probe">(.*?)</pre>', p.stdout, re.S)
    assert m, f"no measurements from chromium (exit {p.returncode}): {p.stderr[-2000:]}"
    return json.loads(html.unescape(m.group(1)))


def check(page: Path, tmp: Path) -> None:
    for width in WIDTHS:
        got = measure(page, width, tmp)
        assert got["innerWidth"] == width, got
        assert got["scrollWidth"] == got["clientWidth"], \
            f"{page.parent.name} at {width} px: the page is {got['scrollWidth']} px wide " \
            f"for a {got['clientWidth']} px viewport; too wide: {got['wide']}"
        assert got["images"], "no figures on the page"
        broken = [im["src"] for im in got["images"] if not im["complete"] or im["width"] <= 0]
        assert not broken, f"{page.parent.name} at {width} px: images not loaded: {broken}"


@pytest.fixture(scope="module")
def market_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sweep of the two-market scenario whose two keys move together (--zip): the
    per-market tables with two label columns of long key names."""
    d = tmp_path_factory.mktemp("browser")
    (d / "two.yaml").write_text(TWO_MARKETS)
    out = d / "two.h5"
    subprocess.run([str(binary()), "sweep", str(d / "two.yaml"), "-o", str(out), "--quiet",
                    "--threads", "2", "--vary", "markets.0.price.sigma=0.6,0.9",
                    "--vary", "markets.1.price.sigma=0.8,1.2",
                    "--zip", "markets.0.price.sigma,markets.1.price.sigma",
                    "--events", "--population"],
                   check=True, capture_output=True, timeout=120)
    return out


@pytest.mark.parametrize("which", ["one_key", "two_keys", "two_markets"])
def test_report_fits_and_loads(which: str, c_fee_sweep: Path, c_sweep: Path,
                               market_sweep: Path, tmp_path: Path) -> None:
    """Three pages: a one-key sweep with every optional table, a two-key sweep whose
    second key is YAML text (long labels), and a sweep of two markets (two keys that
    move together)."""
    chromium()  # skip before any work when there is no browser
    source = {"one_key": c_fee_sweep, "two_keys": c_sweep, "two_markets": market_sweep}[which]
    out = tmp_path / which
    assert report_main([str(source), "-o", str(out), "--dpi", "60", "--quote", "USD"]) == 0
    check(out / "index.html", tmp_path)
