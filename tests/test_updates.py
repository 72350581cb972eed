"""Updates from real exports: monadic layout, columns a file lacks, files without timestamps, pre-2019
event types, and the "0" placeholders of text fields."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acled_files import HEADER, OLD_HEADER, event, stored, write_acled
from sahelsim.evidence.ingest import ingest
from sahelsim.evidence.schema import EVENT_COLUMNS
from sahelsim.evidence.store import connect

# ACLED's monadic layout: one row per actor, no second actor's columns.
MONADIC_HEADER = [name for name in HEADER if name not in {"actor2", "assoc_actor_2", "inter2"}]
JNIM = "JNIM: Group for Support of Islam and Muslims"
FAMA = "Military Forces of Mali (2021-)"
WAGNER = "Wagner Group"
BY_ID = "SELECT * FROM events ORDER BY event_id_cnty"


def accounted(summary) -> bool:
    return summary.read == (summary.inserted + summary.updated + summary.unchanged + summary.rejected
                            + summary.folded)


def actors(row: dict) -> tuple:
    return (row["actor1"], row["assoc_actor_1"], row["inter1"], row["actor2"], row["assoc_actor_2"],
            row["inter2"])


def monadic_rows(event_id: str = "MLI1001", **fields) -> list[dict]:
    """A JNIM attack on the army as ACLED's monadic export lists it: JNIM's row, then the army's."""
    return [event(event_id_cnty=event_id, actor1=JNIM, assoc_actor_1="Katiba Macina", inter1=2,
                  **fields),
            event(event_id_cnty=event_id, actor1=FAMA, assoc_actor_1=WAGNER, inter1=1, **fields)]


# --- monadic exports -----------------------------------------------------------------------------

def test_monadic_rows_of_one_event_fold_into_one_event_with_both_actors(tmp_path, db):
    alone = event(event_id_cnty="MLI2", actor1=JNIM, inter1=2, interaction=20, sub_event_type="Grenade")
    path = write_acled(tmp_path / "monadic.csv", [*monadic_rows(), alone], header=MONADIC_HEADER)
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.unchanged, summary.folded) == (3, 2, 0, 1)
    assert accounted(summary)
    two, one = stored(db, BY_ID)
    assert actors(two) == (JNIM, "Katiba Macina", 2, FAMA, WAGNER, 1)
    assert (two["interaction"], two["actor1_key"], two["actor2_key"]) == (12, "jnim", "military_mali")
    assert two["source_row"] == 1 and two["drone"] is True
    assert actors(one) == (JNIM, None, 2, None, None, None) and one["interaction"] == 20


def test_monadic_file_without_interaction_codes_computes_them_from_both_actors(tmp_path, db):
    path = write_acled(tmp_path / "monadic.csv", monadic_rows(interaction=""), header=MONADIC_HEADER)
    summary = ingest([path], db)
    assert (summary.inserted, summary.folded) == (1, 1)
    (row,) = stored(db, BY_ID)
    assert (row["inter1"], row["inter2"], row["interaction"]) == (2, 1, 12)


def test_newer_monadic_export_updates_without_blanking_or_swapping_actors(tmp_path, db):
    ingest([write_acled(tmp_path / "dyadic.csv", [event(assoc_actor_1="Katiba Macina",
                                                        assoc_actor_2=WAGNER)])], db)
    army_first = list(reversed(monadic_rows(timestamp=1750000100, fatalities=7)))
    summary = ingest([write_acled(tmp_path / "monadic.csv", army_first, header=MONADIC_HEADER)], db)
    assert (summary.read, summary.updated, summary.unchanged, summary.folded) == (2, 1, 0, 1)
    (row,) = stored(db, BY_ID)
    assert actors(row) == (JNIM, "Katiba Macina", 2, FAMA, WAGNER, 1)  # the stored order stays
    assert (row["fatalities"], row["timestamp"]) == (7, 1750000100)


def test_monadic_export_filtered_by_actor_completes_the_stored_event(tmp_path, db):
    """An export filtered on the army lists only the army's row of the event: it updates the event
    and keeps JNIM, and the actor keys are derived from the merged event."""
    ingest([write_acled(tmp_path / "dyadic.csv", [event(assoc_actor_1="Katiba Macina")])], db)
    army_row = monadic_rows(timestamp=1750000100, fatalities=4)[1]
    summary = ingest([write_acled(tmp_path / "army.csv", [army_row], header=MONADIC_HEADER)], db)
    assert (summary.updated, summary.folded) == (1, 0)
    (row,) = stored(db, BY_ID)
    assert actors(row) == (JNIM, "Katiba Macina", 2, FAMA, WAGNER, 1)
    assert (row["actor1_key"], row["actor2_key"], row["fatalities"]) == ("jnim", "military_mali", 4)


def test_monadic_export_read_twice_in_one_file_counts_its_second_copy_unchanged(tmp_path, db):
    rows = monadic_rows() + monadic_rows()
    summary = ingest([write_acled(tmp_path / "twice.csv", rows, header=MONADIC_HEADER)], db)
    assert (summary.read, summary.inserted, summary.unchanged, summary.folded) == (4, 1, 1, 2)
    (row,) = stored(db, BY_ID)
    assert (row["actor1"], row["actor2"]) == (JNIM, FAMA)


def test_a_rejected_row_of_a_monadic_event_is_quarantined_and_the_other_stored(tmp_path, db):
    jnim, army = monadic_rows()
    army["latitude"] = "200"
    summary = ingest([write_acled(tmp_path / "monadic.csv", [jnim, army], header=MONADIC_HEADER)], db)
    assert (summary.read, summary.inserted, summary.rejected, summary.folded) == (2, 1, 1, 0)
    assert [(row["actor1"], row["actor2"]) for row in stored(db, BY_ID)] == [(JNIM, None)]


monadic_record = st.fixed_dictionaries({
    "event_id_cnty": st.sampled_from(["A1", "A2", ""]),
    "actor1": st.sampled_from([JNIM, FAMA, WAGNER]),
    "interaction": st.sampled_from(["12", "20", ""]),
    "latitude": st.sampled_from(["14.1", "x"]),
    "timestamp": st.integers(1, 3),
})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(monadic_record, max_size=6), min_size=1, max_size=3))
def test_every_monadic_row_is_accounted_for(tmp_path_factory, batches):
    folder = tmp_path_factory.mktemp("monadic")
    db = folder / "store.duckdb"
    for index, batch in enumerate(batches):
        path = write_acled(folder / f"{index}.csv", [event(**r) for r in batch], header=MONADIC_HEADER)
        summary = ingest([path], db)
        assert summary.read == len(batch) and accounted(summary)
    counts = stored(db, "SELECT event_id_cnty, count(*) AS n FROM events GROUP BY ALL")
    assert all(row["n"] == 1 for row in counts)


# --- columns a file lacks ------------------------------------------------------------------------

def test_older_export_without_newer_columns_keeps_them_on_update(tmp_path, db):
    current = event(tags="crowd size=no report; sahelsim-curated", civilian_targeting="Civilian targeting",
                    disorder_type="Political violence")
    ingest([write_acled(tmp_path / "current.csv", [current])], db)
    older = event(timestamp=1750000100, fatalities=2, notes="Clash near Boulkessi.")
    summary = ingest([write_acled(tmp_path / "old.csv", [older], header=OLD_HEADER)], db)
    assert summary.updated == 1
    (row,) = stored(db, BY_ID)
    assert row["tags"] == "crowd size=no report; sahelsim-curated"
    assert (row["civilian_targeting"], row["disorder_type"]) == ("Civilian targeting", "Political violence")
    assert row["dataset"] == "curated"  # derived from the kept tags
    assert (row["fatalities"], row["notes"], row["drone"]) == (2, "Clash near Boulkessi.", False)


def test_api_page_without_a_field_keeps_the_stored_value(tmp_path, db):
    ingest([write_acled(tmp_path / "a.csv", [event(admin3="Boulkessi commune")])], db)
    record = {k: v for k, v in event(timestamp=1750000100, fatalities=6).items() if k != "admin3"}
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"status": 200, "data": [record]}), encoding="utf-8")
    assert ingest([path], db).updated == 1
    (row,) = stored(db, BY_ID)
    assert (row["admin3"], row["fatalities"]) == ("Boulkessi commune", 6)


def test_a_column_the_file_has_but_leaves_blank_is_blanked(tmp_path, db):
    ingest([write_acled(tmp_path / "a.csv", [event(admin3="Boulkessi commune")])], db)
    ingest([write_acled(tmp_path / "b.csv", [event(admin3="", timestamp=1750000100)])], db)
    assert stored(db, BY_ID)[0]["admin3"] is None


# --- files without timestamps --------------------------------------------------------------------

NO_TIMESTAMP = [name for name in HEADER if name != "timestamp"]


def test_file_without_timestamps_is_named_and_replace_overwrites(tmp_path, db):
    ingest([write_acled(tmp_path / "first.csv", [event()])], db)
    corrected = write_acled(tmp_path / "corrected.csv", [event(notes="Corrected note.", fatalities=3)],
                            header=NO_TIMESTAMP)
    kept = ingest([corrected], db)
    assert (kept.unchanged, kept.updated, kept.no_timestamp) == (1, 0, [str(corrected)])
    assert stored(db, BY_ID)[0]["notes"].startswith("On 1 June 2025")
    replaced = ingest([corrected], db, replace=True)
    assert (replaced.updated, replaced.unchanged, replaced.no_timestamp) == (1, 0, [str(corrected)])
    (row,) = stored(db, BY_ID)
    assert (row["notes"], row["fatalities"], row["drone"]) == ("Corrected note.", 3, False)
    assert row["timestamp"] == 1750000000  # the file has none: the stored one stays
    runs = stored(db, "SELECT no_timestamp, folded FROM ingest_runs ORDER BY started")
    assert runs[-1] == {"no_timestamp": [str(corrected)], "folded": 0}


def test_replace_takes_the_last_record_of_an_id_in_a_file(tmp_path, db):
    rows = [event(fatalities=1), event(fatalities=2)]
    summary = ingest([write_acled(tmp_path / "a.csv", rows, header=NO_TIMESTAMP)], db, replace=True)
    assert (summary.inserted, summary.updated) == (1, 1)
    assert stored(db, BY_ID)[0]["fatalities"] == 2


def test_cli_names_files_without_timestamps_and_offers_replace(sahelsim, tmp_path, db):
    sahelsim("ingest", write_acled(tmp_path / "first.csv", [event()]), "--db", db)
    corrected = write_acled(tmp_path / "corrected.csv", [event(notes="Corrected note.")],
                            header=NO_TIMESTAMP)
    shown = sahelsim("ingest", corrected, "--db", db, env={"COLUMNS": "300"})
    assert shown.code == 0 and f"{corrected}: no timestamp column" in shown.stderr
    assert "--replace" in shown.stderr
    result = sahelsim("ingest", corrected, "--db", db, "--replace", "--json")
    assert result.code == 0
    data = result.json()
    assert (data["updated"], data["folded"], data["no_timestamp"]) == (1, 0, [str(corrected)])
    assert stored(db, BY_ID)[0]["notes"] == "Corrected note."


def test_cli_shows_folded_rows(sahelsim, tmp_path, db):
    path = write_acled(tmp_path / "monadic.csv", monadic_rows(), header=MONADIC_HEADER)
    shown = sahelsim("ingest", path, "--db", db, env={"COLUMNS": "300"})
    assert shown.code == 0 and "folded" in shown.stderr
    assert "1 second-actor rows of monadic exports folded" in shown.stderr


# --- pre-2019 event types ------------------------------------------------------------------------

@pytest.mark.parametrize("fields, expected", [
    ({"event_type": "Battle-No change of territory", "sub_event_type": ""},
     ("Battles", "Armed clash", "Battle-No change of territory", None)),
    ({"event_type": "Battle-Government regains territory", "sub_event_type": ""},
     ("Battles", "Government regains territory", "Battle-Government regains territory", None)),
    ({"event_type": "Battle-Non-state actor overtakes territory", "sub_event_type": ""},
     ("Battles", "Non-state actor overtakes territory", "Battle-Non-state actor overtakes territory",
      None)),
    ({"event_type": "Remote violence", "sub_event_type": ""},
     ("Explosions/Remote violence", None, "Remote violence", None)),
    ({"event_type": "Remote violence", "sub_event_type": "Air/drone strike"},
     ("Explosions/Remote violence", "Air/drone strike", "Remote violence", "Air/drone strike")),
    ({"event_type": "Violence against civilians", "sub_event_type": ""},
     ("Violence against civilians", "Attack", "Violence against civilians", None)),
    ({"event_type": "Violence against civilians", "sub_event_type": "Abduction/forced disappearance"},
     ("Violence against civilians", "Abduction/forced disappearance", None, None)),
    ({"event_type": "Riots/Protests", "sub_event_type": "", "inter1": 5, "inter2": 1, "interaction": 15},
     ("Riots", "Mob violence", "Riots/Protests", None)),
    ({"event_type": "Riots/Protests", "sub_event_type": "", "inter1": 6, "inter2": "", "interaction": 60},
     ("Protests", "Peaceful protest", "Riots/Protests", None)),
    ({"event_type": "Riots/Protests", "sub_event_type": "", "inter1": 1, "inter2": 2, "interaction": 12},
     ("Riots/Protests", None, None, None)),  # neither rioters nor protesters: nothing invented
    ({"event_type": "Headquarters or base established", "sub_event_type": ""},
     ("Strategic developments", "Headquarters or base established", "Headquarters or base established",
      None)),
    ({"event_type": "Non-violent transfer of territory", "sub_event_type": ""},
     ("Strategic developments", "Non-violent transfer of territory", "Non-violent transfer of territory",
      None)),
    ({"event_type": "Strategic development", "sub_event_type": ""},
     ("Strategic developments", None, "Strategic development", None)),
    ({"event_type": "Battles", "sub_event_type": "Armed clash"}, ("Battles", "Armed clash", None, None)),
])
def test_pre_2019_event_types_map_onto_todays_keeping_the_original(tmp_path, db, fields, expected):
    ingest([write_acled(tmp_path / "old.csv", [event(**fields)], header=OLD_HEADER)], db)
    (row,) = stored(db, BY_ID)
    assert (row["event_type"], row["sub_event_type"], row["event_type_original"],
            row["sub_event_type_original"]) == expected


def test_monadic_protest_row_of_the_police_is_mapped_by_the_interaction_code(tmp_path, db):
    """In a monadic file the police's row does not name the protesters; the interaction code does."""
    rows = [event(event_type="Riots/Protests", sub_event_type="", actor1="Police Forces of Mali",
                  inter1=1, interaction=16),
            event(event_type="Riots/Protests", sub_event_type="", actor1="Protesters (Mali)",
                  inter1=6, interaction=16)]
    ingest([write_acled(tmp_path / "monadic.csv", rows, header=MONADIC_HEADER)], db)
    (row,) = stored(db, BY_ID)
    assert (row["event_type"], row["sub_event_type"], row["inter2"]) == ("Protests", "Peaceful protest", 6)


OLD_EVENT_COLUMNS = {name: kind for name, kind in EVENT_COLUMNS.items()
                     if name not in {"event_type_original", "sub_event_type_original"}}


def test_a_store_made_before_the_original_type_columns_gains_them(tmp_path, db):
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE events (" + ", ".join(f'"{n}" {k}' for n, k in OLD_EVENT_COLUMNS.items())
                    + ")")
        con.execute("INSERT INTO events (event_id_cnty, event_type, timestamp) VALUES ('OLD1', 'Battles', 1)")
        con.execute("CREATE TABLE ingest_runs (ingest_run VARCHAR, started TIMESTAMP, files VARCHAR[], "
                    "read BIGINT, inserted BIGINT, updated BIGINT, unchanged BIGINT, rejected BIGINT, "
                    "deleted BIGINT)")
    summary = ingest([write_acled(tmp_path / "old.csv", [event(event_type="Remote violence")],
                                  header=OLD_HEADER)], db)
    assert summary.inserted == 1
    rows = stored(db, "SELECT event_id_cnty, event_type_original FROM events ORDER BY 1")
    assert rows == [{"event_id_cnty": "MLI1001", "event_type_original": "Remote violence"},
                    {"event_id_cnty": "OLD1", "event_type_original": None}]
    assert stored(db, "SELECT folded FROM ingest_runs") == [{"folded": 0}]
    connect(db).close()  # a second open adds nothing and fails on nothing


# --- placeholders --------------------------------------------------------------------------------

def test_zero_placeholders_in_text_fields_are_blanks(tmp_path, db):
    placeholders = {name: "0" for name in ("actor2", "assoc_actor_1", "assoc_actor_2", "admin1", "admin2",
                                            "admin3", "location", "source", "tags", "civilian_targeting")}
    row = event(**placeholders, inter2="", interaction="", fatalities=0,
                notes="0 fatalities reported near km 0.", event_id_cnty="MLI0")
    ingest([write_acled(tmp_path / "zeros.csv", [row, event(event_id_cnty="MLI2", location="Camp 10",
                                                             actor2=" 0 ")])], db)
    zeros, other = stored(db, BY_ID)
    assert all(zeros[name] is None for name in placeholders)
    assert zeros["actor2_key"] is None and zeros["interaction"] == 20
    assert (zeros["fatalities"], zeros["notes"]) == (0, "0 fatalities reported near km 0.")
    assert (other["location"], other["actor2"]) == ("Camp 10", None)
