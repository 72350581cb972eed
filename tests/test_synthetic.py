"""Synthetic ACLED events: the export's shape, reproducible, recognisably synthetic, realistically mixed."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.csv as pacsv
import pytest

from sahelsim.evidence.actors import ActorRegistry
from sahelsim.evidence.schema import ACLED_COLUMNS
from sahelsim.evidence.synthetic import SOURCE, generate_acled, main, write_acled_csv

DRONE_WORDS = re.compile(r"\b(?:drones?|UAV|FPV|TB2)\b", re.IGNORECASE)
ISO = {"Mali": 466, "Burkina Faso": 854, "Niger": 562, "Nigeria": 566, "Togo": 768, "Benin": 204}


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return generate_acled(30_000, seed=11).to_pandas()


def test_shape_and_columns() -> None:
    table = generate_acled(1_234, seed=1)
    assert table.num_rows == 1_234
    assert table.column_names == list(ACLED_COLUMNS)
    empty = generate_acled(0)
    assert empty.num_rows == 0 and empty.column_names == list(ACLED_COLUMNS)


def test_deterministic_for_a_seed() -> None:
    assert generate_acled(3_000, seed=5).equals(generate_acled(3_000, seed=5))
    assert not generate_acled(3_000, seed=5).equals(generate_acled(3_000, seed=6))


def test_prefix_does_not_depend_on_n() -> None:
    assert generate_acled(12_345, seed=3).equals(generate_acled(25_000, seed=3).slice(0, 12_345))


def test_ids_unique_and_marked_synthetic(events: pd.DataFrame) -> None:
    assert events["event_id_cnty"].is_unique
    assert events["event_id_cnty"].iloc[0] == "SYN-1"
    assert events["event_id_cnty"].str.fullmatch(r"SYN-\d+").all()
    assert (events["source"] == SOURCE).all()
    assert events["tags"].str.startswith("sahelsim-synthetic").all()


def test_drone_share_and_look_alikes(events: pd.DataFrame) -> None:
    truth = events["tags"].str.extract(r"drone_truth=(\w+)")[0]
    drone = truth != "none"
    assert 0.05 <= drone.mean() <= 0.10
    assert set(truth.unique()) == {"none", "strike", "isr", "intercepted"}
    assert events.loc[drone, "notes"].str.contains(DRONE_WORDS).all()
    # Things a naive tagger gets wrong: manned air strikes and notes that only mention drones.
    manned = (events["sub_event_type"] == "Air/drone strike") & ~drone
    assert manned.sum() > 100
    assert (events.loc[~drone, "notes"].str.contains(DRONE_WORDS)).sum() > 50


def test_english_and_french_notes(events: pd.DataFrame) -> None:
    french = events["notes"].str.match(r"(Le \d|Semaine du|En [a-zéû]+ \d{4})")
    assert 0.15 <= french.mean() <= 0.35
    assert events["notes"].str.match(r"(On \d|In [A-Z][a-z]+ \d{4})").mean() >= 0.6


def test_every_actor_resolves_and_codes_agree(events: pd.DataFrame) -> None:
    registry = ActorRegistry.load()
    for column, inter in (("actor1", "inter1"), ("actor2", "inter2"), ("assoc_actor_2", None)):
        pairs = events[[column] + ([inter] if inter else [])].dropna().drop_duplicates()
        for row in pairs.itertuples(index=False):
            key = registry.resolve(row[0])
            assert key, row[0]
            if inter:
                assert registry.get(key).inter == row[1]
    codes = events[["inter1", "inter2"]]
    expected = codes.min(axis=1) * 10 + codes.max(axis=1)
    expected = expected.where(events["inter2"] != 0, events["inter1"] * 10)
    assert (events["interaction"] == expected).all()
    assert (events["actor2"].isna() == (events["inter2"] == 0)).all()


def test_places_and_dates(events: pd.DataFrame) -> None:
    assert set(events["country"]) == set(ISO)
    assert (events["iso"] == events["country"].map(ISO)).all()
    assert events["latitude"].between(4, 25).all() and events["longitude"].between(-18, 16).all()
    dates = pd.to_datetime(events["event_date"])
    assert dates.min() >= pd.Timestamp("2018-01-01") and dates.max() <= pd.Timestamp("2026-06-30")
    assert (dates.dt.year == events["year"]).all()
    assert (dates[events["time_precision"] == 3].dt.day == 15).all()
    assert set(events["time_precision"]) == {1, 2, 3} and set(events["geo_precision"]) == {1, 2, 3}
    stamps = pd.to_datetime(events["timestamp"], unit="s")
    assert (stamps >= dates).all()


def test_armed_group_drones_only_from_2023(events: pd.DataFrame) -> None:
    nonstate_strikes = events["tags"].str.endswith("=strike") & (events["inter1"] != 1)
    assert nonstate_strikes.sum() > 0
    assert (pd.to_datetime(events.loc[nonstate_strikes, "event_date"]) >= pd.Timestamp("2023-01-01")).all()


def test_fatalities_mostly_zero_with_heavy_tail(events: pd.DataFrame) -> None:
    deaths = events["fatalities"]
    assert (deaths >= 0).all()
    assert (deaths == 0).mean() > 0.4
    assert deaths.max() >= 100
    assert deaths.quantile(0.5) <= 1


def test_streamed_file_equals_the_table(tmp_path: Path) -> None:
    streamed, whole = tmp_path / "streamed.csv", tmp_path / "whole.csv"
    write_acled_csv(streamed, 25_000, seed=4, chunk=10_000)
    pacsv.write_csv(generate_acled(25_000, seed=4), whole)
    assert streamed.read_bytes() == whole.read_bytes()
    back = pacsv.read_csv(streamed)
    assert back.num_rows == 25_000 and back.column_names == list(ACLED_COLUMNS)


def test_cli_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "events.csv"
    assert main([str(out), "--rows", "1500", "--seed", "2"]) == 0
    assert pacsv.read_csv(out).num_rows == 1500
    assert "1500" in capsys.readouterr().out


def test_module_entry_point(tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    subprocess.run([sys.executable, "-m", "sahelsim.evidence.synthetic", str(out), "--rows", "10"],
                   check=True, capture_output=True)
    assert pacsv.read_csv(out).num_rows == 10
    assert dt.date.fromisoformat(str(pacsv.read_csv(out)["event_date"][0])) >= dt.date(2018, 1, 1)
