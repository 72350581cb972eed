"""The record's library calls as the CLI and a notebook make them: each names a store (or none, the
default) and opens and closes it itself, so no caller runs SQL or holds the store open."""

from __future__ import annotations

import pytest
from acled_files import event, write_acled
from acled_server import AcledTestServer

from sahelsim.errors import UserError
from sahelsim.evidence.acled_update import update_from_acled
from sahelsim.evidence.ingest import ingest
from sahelsim.evidence.record import (EventFilter, export_events, newest_timestamp, quarantined,
                                      select_events, unmatched_actors)
from sahelsim.evidence.trends import drone_trends
from sahelsim.report.trends_report import documented_incidents_report, drone_trend_report

UNKNOWN = "Katiba Nowhere (a name no registry holds)"


@pytest.fixture
def stored(tmp_path, db):
    rows = [event(event_id_cnty="MLI1", timestamp="1700000100"),
            event(event_id_cnty="BFA1", country="Burkina Faso", actor2=UNKNOWN, timestamp="1700000200"),
            event(event_id_cnty="MLI2", event_date="not a date")]
    ingest([write_acled(tmp_path / "a.csv", rows)], db)
    return db


def test_queries_read_a_store_named_by_its_path(tmp_path, stored):
    mali = EventFilter(countries=("Mali",))
    assert select_events(stored, mali).column("event_id_cnty").to_pylist() == ["MLI1"]
    assert export_events(stored, mali, tmp_path / "mali.csv", "csv") == 1
    assert drone_trends(stored, "country")["country"].tolist() == ["Burkina Faso", "Mali"]
    assert [(r["row"], r["field"]) for r in quarantined(stored)] == [(3, "event_date")]
    assert unmatched_actors(stored) == [{"actor": UNKNOWN, "events": 1}]
    assert newest_timestamp(stored, "acled") == 1700000200


def test_a_query_that_fails_leaves_the_store_free_for_a_writer(tmp_path, stored):
    with pytest.raises(UserError, match="expected 1 to") as refused:
        quarantined(stored, limit=0)
    # the kept error's traceback holds the query's frame: a connection left open there, read-only,
    # would refuse the writer in this process
    again = ingest([write_acled(tmp_path / "b.csv", [event(event_id_cnty="NER1")])], stored)
    assert again.inserted == 1 and refused.value.field == "--limit"


def test_no_store_yet_means_no_newest_timestamp_and_no_store_made(tmp_path):
    assert newest_timestamp(tmp_path / "none.duckdb") is None
    assert not (tmp_path / "none.duckdb").exists()


def test_an_acled_update_fetches_what_changed_since_the_newest_stored_event(db, monkeypatch):
    seen: list[tuple[int, int | None]] = []
    with AcledTestServer(events=12) as server:
        monkeypatch.setenv("ACLED_USERNAME", server.username)
        monkeypatch.setenv("ACLED_PASSWORD", server.password)
        first = update_from_acled(db, base_url=server.url, fetching=lambda *done: seen.append(done))
        assert (first.fetched, first.since_timestamp, first.ingest.inserted) == (12, None, 12)
        assert seen[0] == (0, None) and seen[-1] == (12, 12)
        newest = newest_timestamp(db)
        server.add_events(3)
        second = update_from_acled(db, base_url=server.url)
    assert second.since_timestamp == newest and second.ingest.inserted == 3
    assert second.as_dict()["fetched"] == second.fetched and second.as_dict()["inserted"] == 3


def test_a_trend_report_is_its_table_and_its_charts(tmp_path, stored):
    report = drone_trend_report(stored, "country", out=tmp_path / "charts")
    assert report.table.equals(drone_trends(stored, "country"))
    assert tmp_path / "charts" / "drone-trends.html" in report.files
    assert drone_trend_report(stored, "country").files == []


def test_the_documented_incidents_report_ingests_then_writes(tmp_path, db):
    done = documented_incidents_report(tmp_path / "report", db)
    assert done.ingest.inserted > 0 and done.ingest.rejected == 0
    assert all(path.exists() for path in done.files) and not done.by_year.empty
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(UserError, match="report folder"):
        documented_incidents_report(blocked, tmp_path / "other.duckdb")
    assert not (tmp_path / "other.duckdb").exists()  # the folder is checked before the ingest
