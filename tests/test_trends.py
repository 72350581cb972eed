"""Drone trends say what the record says: who flew the drone, which air strikes may not have been drones,
which years had nothing, and charts that follow the question asked (`--by`).

Every test ingests a small export of its own into a real store and reads the tables back, and the
charts from the files written: the PNG names, and the HTML page's Plotly data.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from acled_files import event, write_acled

from sahelsim.errors import UserError
from sahelsim.evidence.ingest import ingest
from sahelsim.evidence.record import EventFilter, select_events
from sahelsim.evidence.store import connect
from sahelsim.evidence.trends import GROUPINGS, actor_label, drone_trends, groups_per_year
from sahelsim.report.trends_report import write_report

ARMY = {"actor1": "Military Forces of Mali (2021-)", "inter1": "1"}
JNIM = {"actor2": "JNIM: Group for Support of Islam and Muslims", "inter2": "2"}
STRIKE = {"event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike"}
CLASH = {"event_type": "Battles", "sub_event_type": "Armed clash"}

# Who flew the drone, whichever side ACLED coded first (the tags say state or non-state).
OPERATOR_CASES = [
    event(event_id_cnty="STATE-ON-JNIM", **ARMY, **JNIM, **STRIKE, interaction="12",
          notes="A Malian army drone struck a JNIM position near Tessit, killing 5 militants."),
    event(event_id_cnty="JNIM-ON-CAMP", **ARMY, **JNIM, **STRIKE, interaction="12",
          notes="JNIM militants used drones to drop explosives on the military camp of Boulkessi."),
    event(event_id_cnty="JNIM-DOWNED", **ARMY, **JNIM, **CLASH, interaction="12",
          notes="The Malian army shot down a JNIM drone over Boulkessi."),
    # VDP are coded as a militia (inter 3) but fight for the state: never an armed group here
    event(event_id_cnty="JNIM-ON-VDP", actor1="VDP: Volunteers for the Defense of the Homeland", inter1="3",
          **JNIM, **STRIKE, interaction="23",
          notes="JNIM militants used drones to drop explosives on VDP positions near Djibo."),
    # a non-state drone where only the army is coded: the army did not fly it
    event(event_id_cnty="IS-DOWNED", **ARMY, actor2="", inter2="0", **CLASH, interaction="10",
          notes="A drone operated by IS Sahel was shot down by the army near Menaka."),
    event(event_id_cnty="JNIM-CLASH", **ARMY, **JNIM, **CLASH, interaction="12",
          notes="Clashes between the army and JNIM near Gao."),
]


def store(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    db = tmp_path / "record.duckdb"
    ingest([write_acled(tmp_path / "events.csv", rows)], db)
    return db


def plotly_figures(page: Path) -> list[dict]:
    """Each chart's traces and layout, as the page hands them to Plotly.newPlot."""
    text, decoder, figures = page.read_text(encoding="utf-8"), json.JSONDecoder(), []
    for found in re.finditer(r'Plotly\.newPlot\(\s*"[0-9a-f-]{36}",\s*', text):
        data, end = decoder.raw_decode(text, found.end())
        layout, _ = decoder.raw_decode(text, end + re.match(r"\s*,\s*", text[end:]).end())
        figures.append({"title": layout["title"]["text"], "layout": layout,
                        "traces": {trace["name"]: dict(zip(trace["x"], trace["y"])) for trace in data}})
    return figures


def test_armed_groups_count_only_the_groups_that_flew_drones(tmp_path):
    con = connect(store(tmp_path, OPERATOR_CASES), read_only=True)
    assert groups_per_year(con).to_dict(orient="records") == [{"year": "2025", "armed_groups": 1}]
    by_actor = drone_trends(con, "actor").set_index("actor_key")["incidents"].to_dict()
    assert by_actor == {"jnim": 3, "military_mali": 1, "unknown": 1}


def test_an_actor_as_operator_target_or_either(tmp_path):
    con = connect(store(tmp_path, OPERATOR_CASES), read_only=True)

    def chosen(role: str) -> set[str]:
        where = EventFilter(actor="jnim", actor_as=role)
        return set(select_events(con, where).column("event_id_cnty").to_pylist())

    assert chosen("operator") == {"JNIM-ON-CAMP", "JNIM-DOWNED", "JNIM-ON-VDP"}
    assert chosen("target") == {"STATE-ON-JNIM"}
    assert chosen("either") == {"STATE-ON-JNIM", "JNIM-ON-CAMP", "JNIM-DOWNED", "JNIM-ON-VDP", "JNIM-CLASH"}
    assert set(select_events(con, EventFilter(actor="Mali", actor_as="target"))
               .column("event_id_cnty").to_pylist()) == {"JNIM-ON-CAMP", "JNIM-DOWNED"}
    for mistake in ({"actor": "jnim", "actor_as": "pilot"}, {"actor_as": "operator"}):
        with pytest.raises(UserError, match="--as"):
            EventFilter(**mistake)


def test_actor_as_on_the_command_line(sahelsim, tmp_path):
    db = store(tmp_path, OPERATOR_CASES)
    out = tmp_path / "jnim.json"
    exported = sahelsim("events", "--actor", "jnim", "--as", "target", "--format", "json", "--out", out,
                        "--db", db, "--json")
    assert exported.code == 0, exported.stderr
    assert [row["event_id_cnty"] for row in json.loads(out.read_text())] == ["STATE-ON-JNIM"]
    flown = sahelsim("drones", "trends", "--actor", "jnim", "--as", "operator", "--by", "actor",
                     "--no-charts", "--db", db, "--json").json()
    assert [(row["actor"], row["incidents"]) for row in flown["rows"]] == [("JNIM", 3)]
    wrong = sahelsim("drones", "trends", "--actor", "jnim", "--as", "pilot", "--db", db)
    assert wrong.code == 2 and len(wrong.stderr.strip().splitlines()) == 1 and "--as" in wrong.stderr


def test_actors_are_shown_by_their_registry_names(tmp_path):
    db = store(tmp_path, OPERATOR_CASES)
    con = connect(db, read_only=True)
    rows = drone_trends(con, "actor")[["actor", "actor_key"]].to_dict(orient="records")
    assert rows == [{"actor": "JNIM", "actor_key": "jnim"},
                    {"actor": "Malian Armed Forces", "actor_key": "military_mali"},
                    {"actor": "unknown", "actor_key": "unknown"}]
    assert actor_label("ambiguous:jnim,is_sahel") == "JNIM or IS Sahel"
    assert actor_label("Katiba Imaginaire") == "Katiba Imaginaire"
    write_report(con, tmp_path / "report", by="actor")
    (by_actor, *_) = plotly_figures(tmp_path / "report" / "drone-trends.html")
    assert set(by_actor["traces"]) == {"JNIM", "Malian Armed Forces", "unknown"}
    assert "<td>Malian Armed Forces</td>" in (tmp_path / "report" / "drone-trends.html").read_text()


# Two countries, three roles, over three months of 2025.
SPREAD = [
    event(event_id_cnty="M1", event_date="2025-01-10", year="2025"),
    event(event_id_cnty="M2", event_date="2025-03-02", year="2025",
          notes="A JNIM surveillance drone was spotted flying over the camp of Boulkessi."),
    event(event_id_cnty="N1", event_date="2025-03-20", year="2025", country="Niger", admin1="Tillaberi",
          notes="The army shot down a drone of IS Sahel near Ayorou.", **CLASH),
]


@pytest.mark.parametrize("by", [by for by in GROUPINGS if by not in ("year", "month")])
def test_the_report_follows_by(tmp_path, by):
    con = connect(store(tmp_path, SPREAD), read_only=True)
    written = {path.name for path in write_report(con, tmp_path / "r", by=by)}
    assert f"incidents_by_{by}.png" in written
    assert not {f"incidents_by_{other}.png" for other in GROUPINGS if other not in (by, "year")} & written
    lead = plotly_figures(tmp_path / "r" / "drone-trends.html")[0]
    assert lead["title"] == f"Drone incidents per month, by {by}"
    table = drone_trends(con, by).set_index(by)["incidents"].to_dict()
    months = {name: sum(trace.values()) for name, trace in lead["traces"].items()}
    assert months == table  # each value of `by` over time adds up to its row of the table
    assert list(lead["traces"].values())[0].keys() == {"2025-01", "2025-02", "2025-03"}


def test_report_by_country_and_by_role_differ_on_the_command_line(sahelsim, tmp_path):
    db = store(tmp_path, SPREAD)
    charts = {}
    for by in ("country", "role"):
        result = sahelsim("drones", "trends", "--by", by, "--out", tmp_path / by, "--db", db, "--json")
        assert result.code == 0, result.stderr
        charts[by] = plotly_figures(tmp_path / by / "drone-trends.html")[0]["traces"]
    assert charts["country"] == {"Mali": {"2025-01": 1, "2025-02": 0, "2025-03": 1},
                                 "Niger": {"2025-01": 0, "2025-02": 0, "2025-03": 1}}
    assert charts["role"] == {"strike": {"2025-01": 1, "2025-02": 0, "2025-03": 0},
                              "isr": {"2025-01": 0, "2025-02": 0, "2025-03": 1},
                              "intercepted": {"2025-01": 0, "2025-02": 0, "2025-03": 1}}
    assert (tmp_path / "country" / "incidents_by_country.png").stat().st_size > 1000


def test_years_without_incidents_are_zero_or_a_break_never_a_bridge(tmp_path):
    rows = [event(event_id_cnty="Y21", event_date="2021-05-01", year="2021"),
            event(event_id_cnty="Y23", event_date="2023-05-01", year="2023",
                  notes="A JNIM surveillance drone was spotted flying over the camp of Boulkessi.")]
    con = connect(store(tmp_path, rows), read_only=True)
    yearly = drone_trends(con, "year")
    assert yearly["year"].tolist() == ["2021", "2022", "2023"]
    assert yearly.loc[1, "incidents"] == 0 and yearly["strike_share"].isna().tolist() == [False, True, False]
    assert len(drone_trends(con, "month")) == 25  # 2021-05 to 2023-05, every month
    page = tmp_path / "r" / "drone-trends.html"
    written = write_report(con, tmp_path / "r", by="year")
    figures = {figure["title"]: figure for figure in plotly_figures(page)}
    share = figures["Share of drone incidents that were targeted strikes"]
    assert share["traces"] == {"strike_share": {"2021": 1.0, "2022": None, "2023": 0.0}}
    assert share["layout"]["xaxis"]["type"] == "category"
    assert figures["Fatalities in drone incidents, per year"]["traces"]["fatalities"]["2022"] == 0
    assert figures["Armed groups flying drones, per year"]["traces"]["armed_groups"] == {
        "2021": 1, "2022": 0, "2023": 1}
    text = page.read_text()
    assert "No drone incidents in 2022: no share, a break in the line." in text
    assert "No drone incidents in 2022: shown as 0." in text
    assert [path.name for path in written if path.suffix == ".png"][0] == "incidents_by_year.png"
    assert '"connectgaps":true' not in text.replace(" ", "")


# Air/drone strikes: a drone, a manned aircraft, or the note does not say.
AIR_STRIKES = [
    ("DRONE", "A Malian army drone struck a JNIM position near Tessit."),
    ("JETS", "Malian Air Force jets bombed a JNIM base near Tessit."),
    ("HELI", "Un hélicoptère de l'armée a frappé des terroristes près de Ménaka."),
    ("SU24", "An Su-24 of the Malian air force struck militants near Tessit."),
    ("AVION", "Des avions de l'armée ont bombardé une base terroriste."),
    ("AIR", "Air strikes by the Malian army hit a JNIM position near Tessit."),
    ("FRAPPES", "Des frappes aériennes de l'armée ont visé des terroristes près de Ménaka."),
    ("QUOTED", "Air/drone strike: the army struck militants near Tessit."),
    ("FIGHTERS", "Air strikes hit JNIM fighters and a suicide bomber near Tessit."),
]


def test_air_strikes_that_may_not_be_drones_are_counted_apart(sahelsim, tmp_path):
    rows = [event(event_id_cnty=key, **ARMY, **JNIM, **STRIKE, notes=note) for key, note in AIR_STRIKES]
    rows.append(event(event_id_cnty="CLASH", **ARMY, **JNIM, **CLASH, notes="Fighting near Tessit."))
    rows.append(event(event_id_cnty="OLD", event_date="2023-02-01", year="2023", **ARMY, **JNIM, **STRIKE,
                      notes="Frappes aériennes sur Tessit."))
    db = store(tmp_path, rows)
    con = connect(db, read_only=True)
    yearly = drone_trends(con, "year")[["year", "incidents", "unclear"]].to_dict(orient="records")
    assert yearly == [{"year": "2023", "incidents": 0, "unclear": 1},
                      {"year": "2024", "incidents": 0, "unclear": 0},
                      {"year": "2025", "incidents": 1, "unclear": 4}]
    by_actor = drone_trends(con, "actor", EventFilter(since=date(2025, 1, 1)))
    assert by_actor[["actor", "incidents", "unclear"]].to_dict(orient="records") == [
        {"actor": "Malian Armed Forces", "incidents": 1, "unclear": 4}]
    flown = drone_trends(con, "year", EventFilter(actor="military_mali", actor_as="operator"))
    assert flown["unclear"].sum() == 5  # actor1 carried out the air/drone strike
    result = sahelsim("drones", "trends", "--by", "year", "--out", tmp_path / "r", "--db", db, "--json")
    assert [(row["year"], row["unclear"]) for row in result.json()["rows"]] == [
        ("2023", 1), ("2024", 0), ("2025", 4)]
    (incidents, *_) = plotly_figures(tmp_path / "r" / "drone-trends.html")
    assert incidents["traces"] == {
        "drone incidents": {"2023": 0, "2024": 0, "2025": 1},
        "air/drone strikes, drone or not unclear": {"2023": 1, "2024": 0, "2025": 4}}
    assert "<th>unclear</th>" in (tmp_path / "r" / "drone-trends.html").read_text()


def test_a_question_nothing_answers_still_gets_its_report(tmp_path):
    con = connect(store(tmp_path, SPREAD), read_only=True)
    nowhere = EventFilter(countries=("Atlantis",))
    for by in GROUPINGS:
        written = write_report(con, tmp_path / by, nowhere, by=by)
        assert f"incidents_by_{by}.png" in {path.name for path in written}
        assert all(path.stat().st_size > 1000 for path in written)
        assert drone_trends(con, by, nowhere).empty
