"""The Python API over the stored record: filters select the same events everywhere."""

from __future__ import annotations

from datetime import date

from acled_files import event, write_acled
from sahelsim.evidence.ingest import ingest
from sahelsim.evidence.record import EventFilter, select_events
from sahelsim.evidence.store import connect
from sahelsim.evidence.trends import drone_trends


def test_filters_select_events_as_an_analyst_asks(tmp_path, db):
    rows = [event(event_id_cnty="MLI1", event_date="2023-03-01", year=2023),
            event(event_id_cnty="BFA1", country="Burkina Faso", event_date="2025-02-01"),
            event(event_id_cnty="MLI2", event_date="2025-05-01", notes="Clashes near Gao.",
                  event_type="Battles", sub_event_type="Armed clash")]
    ingest([write_acled(tmp_path / "a.csv", rows)], db)
    con = connect(db, read_only=True)
    mali_drones = select_events(con, EventFilter(countries=("mali",), drone_only=True))
    assert mali_drones.column("event_id_cnty").to_pylist() == ["MLI1"]
    recent = select_events(con, EventFilter(since=date(2024, 1, 1), actor="jnim"))
    assert recent.column("event_id_cnty").to_pylist() == ["BFA1", "MLI2"]
    by_country = drone_trends(con, "country", EventFilter(until=date(2024, 12, 31)))
    assert by_country.to_dict(orient="records")[0] | {"country": "Mali"} == {
        "country": "Mali", "incidents": 1, "strikes": 1, "isr": 0, "intercepted": 0, "nonstate": 1,
        "state": 0, "fatalities": 0, "strike_share": 1.0, "unclear": 0}
