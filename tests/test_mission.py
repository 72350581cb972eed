"""`sahelsim mission` (`make demo`): the whole chain on the bundled record, as one page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import duckdb
import pytest

from sahelsim.sim.scenario import list_library, load_scenario


@pytest.fixture(scope="module")
def mission(tmp_path_factory):
    """One small mission for the module: its JSON, its page's text, and its folder."""
    root = tmp_path_factory.mktemp("mission")
    done = subprocess.run([sys.executable, "-m", "sahelsim", "mission", "--out", str(root / "out"),
                           "--db", str(root / "record.duckdb"), "--runs", "1000", "--budget", "3000",
                           "--no-loo", "--json"], capture_output=True, text=True, timeout=600, cwd=root)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (root / "out" / "index.html").read_text("utf-8")
    return json.loads(done.stdout), page, root


def text_of(page: str) -> str:
    page = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_chain_ingests_the_record_and_writes_every_section(mission):
    data, page, root = mission
    assert data["ingest"]["read"] == data["ingest"]["inserted"] > 0
    assert duckdb.connect(str(root / "record.duckdb"), read_only=True).sql(
        "SELECT count(*) FROM events").fetchall() == [(data["ingest"]["read"],)]
    text = text_of(page)
    for title in ("1. The record", "2. Rates from the record", "3. Calibration", "4. Validation",
                  "5. Baseline against improved defences", "Sources"):
        assert title in text
    assert (root / "out" / "drone-trends" / "drone-trends.html").exists()
    assert "1,000 paired replications per comparison" in text  # the page states its sample sizes


def test_every_variant_of_every_scenario_is_compared_and_improvements_help(mission):
    data, _, _ = mission
    expected = {(name, v) for name in list_library() for v in load_scenario(name).variants if v != "baseline"}
    assert {(c["scenario"], c["variant"]) for c in data["comparisons"]} == expected
    post = next(c for c in data["comparisons"] if (c["scenario"], c["variant"]) == ("post-drone-assault", "improved"))
    assert post["defender_losses"]["ci95"][1] < 0  # the improved post loses fewer defenders


def test_the_page_names_its_sources_and_escapes_them(mission):
    _, page, _ = mission
    text = text_of(page)
    assert "Mansila" in text and "Liberation" in text
    assert "<script" not in re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)


def test_a_folder_that_cannot_be_written_stores_nothing(sahelsim, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = sahelsim("mission", "--out", blocker, "--db", tmp_path / "new.duckdb", "--runs", "100")
    assert result.code == 2 and result.stderr.count("\n") == 1
    assert "cannot make the report folder" in result.stderr
    assert not (tmp_path / "new.duckdb").exists()
