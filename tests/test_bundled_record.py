"""The bundled record of documented incidents is a well-formed ACLED export that the registry understands."""

from __future__ import annotations

import csv
import datetime as dt
import re
from importlib import resources

import pytest

from sahelsim.evidence.actors import ActorRegistry
from sahelsim.evidence.schema import ACLED_COLUMNS

ISO = {"Mali": 466, "Burkina Faso": 854, "Niger": 562, "Nigeria": 566, "Togo": 768, "Benin": 204}


@pytest.fixture(scope="module")
def header_and_rows() -> tuple[list[str], list[dict[str, str]]]:
    text = resources.files("sahelsim.evidence").joinpath("data/documented_incidents.csv").read_text("utf-8")
    reader = csv.DictReader(text.splitlines())
    return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def rows(header_and_rows: tuple[list[str], list[dict[str, str]]]) -> list[dict[str, str]]:
    return header_and_rows[1]


@pytest.fixture(scope="module")
def registry() -> ActorRegistry:
    return ActorRegistry.load()


def test_header_is_the_current_acled_export(header_and_rows: tuple[list[str], list[dict[str, str]]]) -> None:
    header, rows = header_and_rows
    assert header == list(ACLED_COLUMNS)
    assert 20 <= len(rows) <= 40
    assert all(None not in row and len(row) == 31 for row in rows)


def test_ids_unique_and_curated(rows: list[dict[str, str]]) -> None:
    ids = [row["event_id_cnty"] for row in rows]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"SSIM-\d{4}", event_id) for event_id in ids)
    assert all("sahelsim-curated" in row["tags"] for row in rows)
    assert all(row["source"] and not row["source"].lower().startswith("synthetic") for row in rows)


def test_dates_and_precisions(rows: list[dict[str, str]]) -> None:
    for row in rows:
        date = dt.date.fromisoformat(row["event_date"])
        assert int(row["year"]) == date.year
        precision = int(row["time_precision"])
        assert precision in (1, 2, 3)
        if precision == 3:
            assert date.day in (1, 15), row["event_id_cnty"]
        assert int(row["geo_precision"]) in (1, 2, 3)
        stamp = dt.datetime.fromtimestamp(int(row["timestamp"]), dt.timezone.utc).date()
        assert stamp >= date


def test_every_actor_resolves(rows: list[dict[str, str]], registry: ActorRegistry) -> None:
    for row in rows:
        for field in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2"):
            for name in filter(None, (part.strip() for part in row[field].split(";"))):
                assert registry.resolve(name), (row["event_id_cnty"], field, name)


def test_inter_codes_match_actors(rows: list[dict[str, str]], registry: ActorRegistry) -> None:
    for row in rows:
        inter1, inter2 = int(row["inter1"]), int(row["inter2"])
        assert inter1 == registry.get(registry.resolve(row["actor1"])).inter
        if row["actor2"]:
            assert inter2 == registry.get(registry.resolve(row["actor2"])).inter
            expected = f"{min(inter1, inter2)}{max(inter1, inter2)}"
        else:
            assert inter2 == 0
            expected = f"{inter1}0"
        assert row["interaction"] == expected


def test_places(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert int(row["iso"]) == ISO[row["country"]]
        assert row["region"] == "Western Africa"
        assert row["admin1"] and row["location"]
        assert 4.0 <= float(row["latitude"]) <= 25.0
        assert -18.0 <= float(row["longitude"]) <= 16.0


def test_fatalities_low_and_high(rows: list[dict[str, str]]) -> None:
    for row in rows:
        low = int(row["fatalities"])
        assert low >= 0
        high = re.search(r"fatalities high=(\d+)", row["tags"])
        if high:
            assert int(high.group(1)) > low
            assert high.group(1) in row["notes"]


def test_notes_say_whether_drones_were_used(rows: list[dict[str, str]]) -> None:
    assert all("drone" in row["notes"].lower() for row in rows)


def test_drone_ground_truth(rows: list[dict[str, str]]) -> None:
    truth = {row["location"] + " " + row["event_date"]: re.search(r"drone_truth=(\w+)", row["tags"]).group(1)
             for row in rows}
    assert set(truth.values()) <= {"strike", "isr", "intercepted", "none"}
    assert list(truth.values()).count("strike") >= 10
    assert truth["Tongo Tongo 2017-10-04"] == "isr"   # unarmed overwatch, no strike
    assert truth["Mansila 2024-06-11"] == "none"
    for row in rows:
        if "drone suspected" in row["tags"]:
            assert "drone_truth=none" in row["tags"]
            assert re.search(r"suspected|unconfirmed|likely", row["notes"])


@pytest.mark.parametrize(("date", "location", "fatalities"), [
    ("2017-10-04", "Tongo Tongo", 8),
    ("2023-09-15", "Bandiagara", 0),
    ("2024-06-11", "Mansila", 100),
    ("2024-12-24", "Wajiroko", 0),
    ("2025-04-15", "Dapaong", 5),
    ("2025-05-25", "Eknewan", 41),
    ("2025-06-01", "Boulkessi", 0),
    ("2026-01-29", "Sabon Gari", 11),
])
def test_documented_incidents_present(rows: list[dict[str, str]], date: str, location: str,
                                      fatalities: int) -> None:
    matches = [row for row in rows if row["event_date"] == date and row["location"] == location]
    assert matches, (date, location)
    assert int(matches[0]["fatalities"]) == fatalities


def test_eknewan_keeps_both_tolls(rows: list[dict[str, str]]) -> None:
    eknewan = next(row for row in rows if row["location"] == "Eknewan")
    assert "fatalities high=64" in eknewan["tags"]
    assert "41" in eknewan["notes"] and "64" in eknewan["notes"]


def test_tagger_reads_the_curated_record_as_its_curators_did(rows: list[dict[str, str]]) -> None:
    """The demo's charts rest on these tags: drone or not must match every curated truth label,
    and the role (strike or ISR) nearly all of them; suspected, unconfirmed drone use is no event."""
    from sahelsim.evidence.tagging import tag_text

    roles_agree = 0
    truths = [(row, re.search(r"drone_truth=(\w+)", row["tags"]).group(1)) for row in rows]
    for row, truth in truths:
        tag = tag_text(row["notes"], event_type=row["event_type"], sub_event_type=row["sub_event_type"],
                       actor1=row["actor1"], actor2=row["actor2"], inter1=int(row["inter1"]),
                       inter2=int(row["inter2"] or 0))
        assert tag.drone == (truth != "none"), (row["event_id_cnty"], tag)
        roles_agree += tag.role == (None if truth == "none" else truth)
    assert roles_agree >= 0.85 * len(truths)
