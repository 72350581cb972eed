"""The HTML pages analysts open, loaded in a real headless Chromium with no network.

A page that is written but whose charts never draw (a script that fails to load offline, a figure
Plotly rejects) passes every file-level check; only a browser running the page's JavaScript shows it.
Chromium dumps the page after its scripts ran, and each Plotly chart that drew leaves an SVG root
(`main-svg`) in the DOM.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = next((found for name in ("chromium", "chromium-browser", "google-chrome")
                 if (found := shutil.which(name))), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine: `make test` installs it when run as root")


def rendered(page: Path, profile: Path) -> str:
    """The page's DOM after its scripts ran, as headless Chromium sees it offline."""
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=127.0.0.1:9", f"--user-data-dir={profile}",
         "--virtual-time-budget=15000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def drawn_titles(dom: str) -> list[str]:
    """Titles of the charts Plotly drew: it writes each as SVG text only once the chart is laid out."""
    return re.findall(r'class="g?title"[^>]*data-unformatted="([^"]*)"', dom)


def drawn_subplot_titles(dom: str) -> list[str]:
    return re.findall(r'class="annotation-text"[^>]*data-unformatted="([^"]*)"', dom)


def drawn_marks(dom: str) -> int:
    """Bars and markers drawn (SVG paths of class "point")."""
    return len(re.findall(r'class="point"', dom))


def test_trends_page_draws_every_chart_offline(sahelsim, tmp_path):
    result = sahelsim("demo", "--out", tmp_path / "report", "--json")
    assert result.code == 0, result.stderr
    dom = rendered(tmp_path / "report" / "drone-trends.html", tmp_path / "profile")
    assert drawn_titles(dom) == [
        "Drone incidents per month, by actor", "Drone incidents per month, by role",
        "Drone incidents per year, and air/drone strikes not known to be drones",
        "Fatalities in drone incidents, per year", "Share of drone incidents that were targeted strikes",
        "Armed groups flying drones, per year"]
    assert drawn_marks(dom) > 20
    assert "<td>JNIM</td>" in dom  # the by-actor table, by registry name


def test_scenario_outcomes_page_draws_offline(sahelsim, tmp_path):
    result = sahelsim("scenario", "run", "post-drone-assault", "--runs", "2000", "--out",
                      tmp_path / "run", "--json")
    assert result.code == 0, result.stderr
    dom = rendered(tmp_path / "run" / "outcomes.html", tmp_path / "profile")
    assert drawn_titles(dom) == ["post-drone-assault"]
    assert drawn_subplot_titles(dom) == ["leakers", "assets damaged", "casualties", "defender losses",
                                         "ground assault outcome", "defeats by layer"]
    assert drawn_marks(dom) > 5


def test_mission_page_draws_its_charts_offline(sahelsim, tmp_path):
    result = sahelsim("mission", "--out", tmp_path / "mission", "--runs", "500", "--budget", "3000",
                      "--no-loo", "--json")
    assert result.code == 0, result.stderr
    dom = rendered(tmp_path / "mission" / "index.html", tmp_path / "profile")
    assert drawn_titles(dom) == ["What the record says about post-drone-assault's figures",
                                 "Change in defenders lost per attack, improved minus baseline"]
    assert drawn_marks(dom) > 10
