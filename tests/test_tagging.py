"""Drone tagging: quality on the labelled set, the hard cases one by one, robustness, and the
guarantee that the SQL fragment used by ingest and the Python entry points give the same answer."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sahelsim.evidence.tagging import (
    OPERATORS,
    PLATFORMS,
    ROLES,
    DroneTag,
    drone_tag_sql,
    tag_many,
    tag_text,
)

LABELLED = Path(__file__).parent / "data" / "drone_notes_labelled.csv"
AD = ("Explosions/Remote violence", "Air/drone strike")
BATTLE = ("Battles", "Armed clash")
SD_OTHER = ("Strategic developments", "Other")
DWU = ("Strategic developments", "Disrupted weapons use")
PROTEST = ("Protests", "Peaceful protest")


def _none(value: str) -> str | None:
    return value if value != "" else None


def load_labelled() -> list[dict]:
    """The labelled notes with empty cells as None and drone as bool."""
    with LABELLED.open(encoding="utf-8", newline="") as fh:
        rows = [{k: _none(v) for k, v in row.items()} for row in csv.DictReader(fh)]
    for row in rows:
        row["drone"] = row["drone"] == "true"
    return rows


def tag_row(row: dict) -> DroneTag:
    return tag_text(row["notes"] or "", event_type=row["event_type"], sub_event_type=row["sub_event_type"],
                    actor1=row["actor1"], actor2=row["actor2"], inter1=row["inter1"], inter2=row["inter2"])


@pytest.fixture(scope="module")
def labelled() -> list[dict]:
    return load_labelled()


@pytest.fixture(scope="module")
def sql_tags(labelled: list[dict]) -> dict[str, tuple]:
    """The fragment run over the whole labelled table at once, as ingest runs it."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv('{LABELLED}', header=true, all_varchar=true)")
    con.execute("ALTER TABLE events ALTER inter1 TYPE TINYINT")
    con.execute("ALTER TABLE events ALTER inter2 TYPE TINYINT")
    rows = con.execute(f"SELECT id, {drone_tag_sql()} FROM events").fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


# --- the labelled set -----------------------------------------------------------------------------

def test_labelled_set_shape(labelled: list[dict]) -> None:
    assert len(labelled) >= 220
    langs = [r["lang"] for r in labelled]
    assert langs.count("en") / len(langs) >= 0.45
    assert langs.count("fr") / len(langs) >= 0.30
    assert len({r["id"] for r in labelled}) == len(labelled)
    for r in labelled:
        if r["drone"]:
            assert r["drone_role"] in ROLES and r["drone_operator"] in OPERATORS
            assert r["drone_platform"] in PLATFORMS
        else:
            assert r["drone_role"] is r["drone_operator"] is r["drone_platform"] is None


def test_drone_precision_recall_f1(labelled: list[dict], sql_tags: dict[str, tuple]) -> None:
    tp = sum(1 for r in labelled if r["drone"] and sql_tags[r["id"]][0])
    fp = sum(1 for r in labelled if not r["drone"] and sql_tags[r["id"]][0])
    fn = sum(1 for r in labelled if r["drone"] and not sql_tags[r["id"]][0])
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    print(f"drone: precision={precision:.3f} recall={recall:.3f} f1={f1:.3f}")
    assert f1 >= 0.95


@pytest.mark.parametrize("field,index,minimum", [
    ("drone_role", 1, 0.9), ("drone_operator", 2, 0.9), ("drone_platform", 3, 0.0),
])
def test_detail_accuracy_on_labelled_drone_events(labelled: list[dict], sql_tags: dict[str, tuple],
                                                  field: str, index: int, minimum: float) -> None:
    """Accuracy over every labelled drone event; a missed drone counts as wrong.  Platform accuracy
    is reported (printed with -s) but has no floor: most notes do not name the platform."""
    events = [r for r in labelled if r["drone"]]
    right = sum(1 for r in events if sql_tags[r["id"]][index] == r[field])
    accuracy = right / len(events)
    print(f"{field}: accuracy={accuracy:.3f} on {len(events)} labelled drone events")
    assert accuracy >= minimum


def test_sql_fragment_equals_tag_text_row_by_row(labelled: list[dict], sql_tags: dict[str, tuple]) -> None:
    for row in labelled:
        tag = tag_row(row)
        assert (tag.drone, tag.role, tag.operator, tag.platform) == sql_tags[row["id"]], row["id"]


def test_tag_many_matches_sql(labelled: list[dict], sql_tags: dict[str, tuple]) -> None:
    import pandas as pd

    frame = pd.DataFrame(labelled)
    out = tag_many(frame).to_pylist()
    assert len(out) == len(labelled)
    for row in out:
        got = (row["drone"], row["drone_role"], row["drone_operator"], row["drone_platform"])
        assert got == sql_tags[row["id"]], row["id"]


# --- hard cases, one by one (new sentences, not taken from the labelled set) -----------------------

def test_state_drone_strike_en_fr() -> None:
    en = tag_text("On 4 May 2025, military forces of Mali carried out drone strikes on JNIM positions near "
                  "Macina (Segou), killing several militants.", event_type=AD[0], sub_event_type=AD[1],
                  inter1=1, inter2=2)
    fr = tag_text("Le 4 mai 2025, les FAMa ont mené des frappes de drones sur des positions terroristes près "
                  "de Macina (Ségou).", event_type=AD[0], sub_event_type=AD[1], inter1=1, inter2=2)
    assert en == fr == DroneTag(True, "strike", "state", "unknown")


def test_nonstate_drone_attack_en_fr() -> None:
    en = tag_text("JNIM militants used drones to drop explosives on a military post near Kaya, killing 3 soldiers.",
                  event_type=BATTLE[0], sub_event_type=BATTLE[1], inter1=2, inter2=1)
    fr = tag_text("Des terroristes du JNIM ont largué des explosifs à l'aide de drones sur un poste militaire "
                  "près de Kaya.", event_type=BATTLE[0], sub_event_type=BATTLE[1], inter1=2, inter2=1)
    assert en == fr == DroneTag(True, "strike", "nonstate", "unknown")


def test_operator_from_text_when_actor1_is_the_other_side() -> None:
    """actor1 is JNIM (it attacked) but the drones were the army's."""
    tag = tag_text("JNIM militants attacked the camp at Lere. The army said it responded with drone strikes, "
                   "killing dozens of assailants.", event_type=BATTLE[0], sub_event_type=BATTLE[1],
                   inter1=2, inter2=1)
    assert (tag.role, tag.operator) == ("strike", "state")


@pytest.mark.parametrize("notes", [
    "On 2 June 2025, Malian Air Force fighter jets struck a JNIM base near Nampala, killing 10 militants.",
    "On 2 June 2025, Su-24 bombers hit terrorist hideouts near Dogofry (Niono, Segou).",
    "On 2 June 2025, an L-39 of the Malian air force bombed an FLA convoy near Aguelhok.",
    "On 2 June 2025, Nigerian Air Force helicopters and aviation assets struck ISWAP on Lake Chad.",
    "Le 2 juin 2025, des frappes aériennes de l'aviation burkinabè ont visé des terroristes près de Djibo.",
    "Le 2 juin 2025, les vecteurs aériens des FAMa ont neutralisé des terroristes près de Nara.",
    "Le 2 juin 2025, un aéronef de l'armée de l'air a effectué une frappe près de Gao.",
])
def test_manned_air_strikes_coded_air_drone_are_not_drones(notes: str) -> None:
    assert tag_text(notes, event_type=AD[0], sub_event_type=AD[1], inter1=1, inter2=2) == DroneTag(
        False, None, None, None)


@pytest.mark.parametrize("notes,etype", [
    ("Around 200 people marched in Bamako to ask the government to buy more drones for the army.", PROTEST),
    ("Des habitants de Kidal ont manifesté contre les frappes de drones de l'armée.", PROTEST),
    ("The Chief of Staff handed drone jammers and anti-drone equipment to units at a ceremony in Kati.", SD_OTHER),
    ("Lors d'une cérémonie, l'état-major a remis des brouilleurs anti-drones aux unités de Sévaré.", SD_OTHER),
    ("The government of Niger announced the acquisition of Bayraktar TB2 drones.", SD_OTHER),
    ("Le gouvernement a annoncé l'achat de nouveaux drones Akinci pour l'armée de l'air.", SD_OTHER),
    ("Gunmen attacked the Drone Hotel in Mopti, killing a guard.", ("Violence against civilians", "Attack")),
    ("A trader nicknamed 'Drone' was arrested in Gao.", ("Strategic developments", "Arrests")),
])
def test_mentions_without_use_are_not_drones(notes: str, etype: tuple[str, str]) -> None:
    assert not tag_text(notes, event_type=etype[0], sub_event_type=etype[1]).drone


@pytest.mark.parametrize("notes", [
    "JNIM attacked the post at Djibasso with mortars; no drone was used, according to local sources.",
    "The army repelled the attack without the use of drones.",
    "A fighter jet, not a drone, struck the camp.",
    "Drone use by the attackers was suspected but not confirmed.",
    "Le JNIM a attaqué le poste de Djibasso. Aucun drone n'a été utilisé.",
    "Selon des témoins, il s'agissait d'un avion et non d'un drone.",
])
def test_negations_are_not_drones(notes: str) -> None:
    assert not tag_text(notes, event_type=BATTLE[0], sub_event_type=BATTLE[1], inter1=2, inter2=1).drone


@pytest.mark.parametrize("notes,operator", [
    ("A JNIM drone was shot down by FAMa near Tessit.", "nonstate"),
    ("The Nigerian army shot down an ISWAP surveillance drone over Malam Fatori.", "nonstate"),
    ("FLA fighters shot down a Malian army drone near Anefis.", "state"),
    ("A JNIM drone carrying explosives crashed before reaching the camp at Gorom-Gorom.", "nonstate"),
    ("Un drone du JNIM a été abattu par les FAMa près de Tessit.", "nonstate"),
    ("L'armée a neutralisé un drone ennemi au-dessus du camp de Léré.", "nonstate"),
    ("Un drone de l'armée malienne s'est écrasé près d'Anéfis.", "state"),
    ("Soldiers jammed a small quadcopter over the barracks; the drone fell and was recovered. "
     "Its operator is unknown.", "unknown"),
])
def test_interceptions(notes: str, operator: str) -> None:
    tag = tag_text(notes, event_type=DWU[0], sub_event_type=DWU[1])
    assert (tag.drone, tag.role, tag.operator) == (True, "intercepted", operator)


def test_drone_downing_a_helicopter_is_a_strike_not_an_interception() -> None:
    tag = tag_text("FLA fighters used an FPV drone to down a Malian army helicopter near Tessalit.",
                   event_type=AD[0], sub_event_type=AD[1], inter1=2, inter2=1)
    assert tag == DroneTag(True, "strike", "nonstate", "fpv")


@pytest.mark.parametrize("notes,platform", [
    ("A Bayraktar TB2 of the Malian army struck an FLA vehicle near Tinzaouaten.", "male"),
    ("Des drones Akinci de l'armée burkinabè ont bombardé un camp du JNIM.", "male"),
    ("A US MQ-9 Reaper struck a convoy near Hombori.", "male"),
    ("A Wing Loong of the Nigerian Air Force struck ISWAP fighters near Bama.", "male"),
])
def test_state_male_drones(notes: str, platform: str) -> None:
    tag = tag_text(notes, event_type=AD[0], sub_event_type=AD[1])
    assert tag == DroneTag(True, "strike", "state", platform)


@pytest.mark.parametrize("notes,platform", [
    ("JNIM militants used FPV drones to strike two army pick-ups near Tougan.", "fpv"),
    ("L'EIGS a utilisé des drones kamikazes contre la position de l'armée à Eknewan.", "fpv"),
    ("IS Sahel militants dropped a grenade from a DJI Mavic on a patrol near Tillia.", "quadcopter"),
    ("Des militants ont largué des explosifs depuis un quadricoptère sur une patrouille.", "quadcopter"),
    ("JNIM launched a homemade fixed-wing drone packed with explosives at the airport.", "fixed_wing"),
])
def test_nonstate_platforms(notes: str, platform: str) -> None:
    tag = tag_text(notes, event_type=AD[0], sub_event_type=AD[1], inter1=2, inter2=1)
    assert tag == DroneTag(True, "strike", "nonstate", platform)


@pytest.mark.parametrize("notes", [
    "A JNIM quadcopter was observed flying over a fuel tanker convoy on the Kayes-Bamako road.",
    "JNIM used a Matrice 30T with a thermal camera to watch the camp at Boni at night.",
    "Des drones de surveillance du JNIM ont survolé le camp de Boulkessi pendant la nuit.",
    "Un drone a survolé le convoi de citernes près de Diboli avant l'embuscade du JNIM.",
])
def test_isr_flights_over_bases_and_fuel_convoys(notes: str) -> None:
    tag = tag_text(notes, event_type=SD_OTHER[0], sub_event_type=SD_OTHER[1], inter1=2, inter2=1)
    assert (tag.drone, tag.role, tag.operator) == (True, "isr", "nonstate")


@pytest.mark.parametrize("notes", [
    "An unidentified drone dropped an explosive on a crowd near Ber, killing 3 civilians.",
    "Un drone non identifié a largué un explosif sur des civils près de Ber.",
    "A drone of unknown origin struck a checkpoint near Nioro du Sahel; its operator is unknown.",
])
def test_unidentified_drones_have_unknown_operator(notes: str) -> None:
    tag = tag_text(notes, event_type=AD[0], sub_event_type=AD[1], inter1=None, inter2=7)
    assert tag == DroneTag(True, "strike", "unknown", "unknown")


def test_null_and_empty_inputs() -> None:
    assert tag_text("") == DroneTag(False, None, None, None)
    assert tag_text(None) == DroneTag(False, None, None, None)  # type: ignore[arg-type]
    assert tag_text("A drone struck a JNIM camp.", inter1=None).operator == "unknown"


def test_inter_codes_as_acled_api_text_labels() -> None:
    """The ACLED API returns inter codes as labels unless inter_num=1; both must work."""
    tag = tag_text("A drone strike hit a gathering near Djibo.", event_type=AD[0], sub_event_type=AD[1],
                   inter1="State forces", inter2="Rebel groups")
    assert tag.operator == "state"


def test_actor_names_stand_in_for_missing_inter_codes() -> None:
    strike = tag_text("A drone strike hit a gathering near Djibo.", event_type=AD[0], sub_event_type=AD[1],
                      actor1="Military Forces of Burkina Faso (2022-)", inter1=None)
    lost = tag_text("Troops shot down a drone over the camp.", event_type=DWU[0], sub_event_type=DWU[1],
                    actor1="Military Forces of Mali (2021-)", actor2="JNIM: Group for Support of Islam and Muslims")
    assert (strike.operator, lost.role, lost.operator) == ("state", "intercepted", "nonstate")


# --- robustness ------------------------------------------------------------------------------------

_WORDS = st.sampled_from([
    "drone", "drones", "FPV", "TB2", "abattu", "shot down", "JNIM", "army", "FAMa", "no", "not", "'",
    "Air/drone", "kamikaze", "frappe", "de", "the", "by", "a", ".", ";", "survol", "é", "Drone Hotel",
    "quadcopter", "unidentified", "used", "strike", "anti-drone", "\\", "%", "(?i)", "\n",
])
_TEXT = st.one_of(st.text(max_size=200), st.lists(_WORDS, max_size=30).map(" ".join))
_INTER = st.one_of(st.none(), st.integers(min_value=-5, max_value=20), st.text(max_size=12))
_OPT = st.one_of(st.none(), st.text(max_size=30),
                 st.sampled_from(["Battles", "Protests", "Strategic developments", "Air/drone strike"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes=_TEXT, event_type=_OPT, sub_event_type=_OPT, actor1=_OPT, inter1=_INTER, inter2=_INTER)
def test_arbitrary_text_never_raises_and_is_consistent(notes, event_type, sub_event_type, actor1,
                                                       inter1, inter2) -> None:
    tag = tag_text(notes, event_type=event_type, sub_event_type=sub_event_type, actor1=actor1,
                   inter1=inter1, inter2=inter2)
    assert isinstance(tag.drone, bool)
    if not tag.drone:
        assert tag.role is None and tag.operator is None and tag.platform is None
    else:
        assert tag.role in ROLES and tag.operator in OPERATORS and tag.platform in PLATFORMS


# --- the cheaper state/non-state test agrees with the capture-group one ----------------------------

_ACTOR_WORDS = st.sampled_from([
    "islamic state", "state", "is sahel", "armed men", "armed forces", "armee de l'air", "armee", "etat",
    "etat islamique", "etat-major", "military forces", "military", "militants", "fama", "jnim", "us",
    "drone", "drones", "uav", "'s", "surveillance", "aircraft", "the", "of", "and", ".", ";", "-", "x",
])


def _sides(texts: list[str]) -> list[tuple]:
    """(group-1 answer, leading-actor answer) for both actor-first patterns, on each text."""
    from sahelsim.evidence import tagging as T

    pairs = [(T._side_sql("s", build(T._ACTOR)), T._leading_side_sql("s", build))
             for build in (T._actor_before_drone, T._actor_in_drone_clause)]
    select = ", ".join(f"{a}, {b}" for a, b in pairs)
    con = duckdb.connect()
    con.execute("CREATE TABLE texts (s VARCHAR)")
    con.executemany("INSERT INTO texts VALUES (?)", [[s] for s in texts])
    return con.execute(f"SELECT {select} FROM texts").fetchall()


def test_leading_side_matches_capture_group_on_labelled_notes(labelled: list[dict]) -> None:
    texts = [(r["notes"] or "").lower() for r in labelled]
    texts += ["the islamic state army drone", "military forces drone", "us drone", "etat-major drone",
              "armed men and soldiers flew a drone", "militants; the army's surveillance drones"]
    for before_g1, before_lead, clause_g1, clause_lead in _sides(texts):
        assert (before_g1, clause_g1) == (before_lead, clause_lead)


@settings(max_examples=25, deadline=None)
@given(texts=st.lists(st.lists(_ACTOR_WORDS, max_size=14).map(" ".join), min_size=1, max_size=100))
def test_leading_side_matches_capture_group_on_actor_soup(texts: list[str]) -> None:
    texts += [s.replace(" ", "") for s in texts]  # words run together: boundaries inside words
    for before_g1, before_lead, clause_g1, clause_lead in _sides(texts):
        assert (before_g1, clause_g1) == (before_lead, clause_lead)


# --- batch D and the held-out batch: files kept apart from the labelled set ------------------------

DEV = Path(__file__).parent / "data" / "drone_notes_dev.csv"


def _file_scores(path: Path) -> dict[str, float]:
    """Drone precision/recall and role/operator accuracy over the labelled drone events of one file,
    tagged by the SQL fragment over the whole table, as ingest runs it."""
    con = duckdb.connect()
    con.execute("CREATE TABLE events AS SELECT * RENAME (drone AS l_drone, drone_role AS l_role, "
                "drone_operator AS l_operator, drone_platform AS l_platform) "
                "FROM read_csv(?, header=true, all_varchar=true)", [str(path)])
    rows = con.execute(f"SELECT l_drone = 'true', l_role, l_operator, {drone_tag_sql()} FROM events").fetchall()
    tp = sum(1 for r in rows if r[0] and r[3])
    events = [r for r in rows if r[0]]
    return {"precision": tp / sum(1 for r in rows if r[3]), "recall": tp / len(events),
            "role": sum(1 for r in events if r[4] == r[1]) / len(events),
            "operator": sum(1 for r in events if r[5] == r[2]) / len(events)}


def test_dev_batch_quality() -> None:
    """Batch D was written before the operator/role rework (first scoring: precision 0.82, role 0.86,
    operator 0.68) and then tuned on; these floors keep what the rework gained."""
    scores = _file_scores(DEV)
    print(scores)
    assert scores["precision"] >= 0.97 and scores["recall"] >= 0.97
    assert scores["role"] >= 0.95 and scores["operator"] >= 0.95


# --- operator: who flew it, not who hit it, lost it, seized it or spoke of it -----------------------

@pytest.mark.parametrize("notes,etype,inter1,inter2,expected", [
    # the captor is not the operator; the one it was taken from is
    ("Nigerien gendarmes confiscated a quadcopter from ISWAP couriers near Diffa.", DWU, 1, None,
     ("intercepted", "nonstate")),
    ("ISWAP fighters confiscated a drone from Nigerian soldiers after raiding their camp near Gubio.", DWU, 2, 1,
     ("intercepted", "state")),
    ("Des gendarmes ont confisqué un drone à des combattants du JNIM près de Koutiala.", DWU, 1, None,
     ("intercepted", "nonstate")),
    ("Gendarmes seized a drone that ISWAP fighters had been flying over the Diffa checkpoint.", DWU, 1, None,
     ("intercepted", "nonstate")),
    # the target of a strike is not the operator
    ("JNIM fighters were killed when a drone struck their camp near Nampala.", AD, 1, 2, ("strike", "state")),
    ("Des combattants de l'EIGS ont été visés par une frappe de drone près d'Abala.", AD, 1, 2, ("strike", "state")),
    ("Les FAMa ont annoncé avoir neutralisé des terroristes lors de frappes de drones près de Nara.", AD, 1, 2,
     ("strike", "state")),
    # a speaker or a source is not the operator
    ("FLA rebels said a drone bombed their positions near Ber.", AD, 1, 2, ("strike", "state")),
    ("A drone strike hit FLA fighters near Tinzaouaten; the FLA blamed the Malian army.", AD, None, 2,
     ("strike", "state")),
    ("According to the gendarmerie, militants used a drone to drop a grenade on the post at Kpendjal.", BATTLE,
     1, 2, ("strike", "nonstate")),
    # the named dropper or firer decides, whatever inter1 says
    ("During an IS Sahel raid on Banibangou, soldiers fired on the attackers from a drone.", BATTLE, 2, 1,
     ("strike", "state")),
    ("Lors de l'attaque, les jihadistes ont largué des grenades depuis un drone sur le poste de Kaya.", BATTLE,
     1, 2, ("strike", "nonstate")),
    # the one a drone watches over flies it
    ("An army convoy escorted by a surveillance drone struck a mine near Gossi.", ("Explosions/Remote violence",
     "Remote explosive/landmine/IED"), 2, 1, ("isr", "state")),
])
def test_operator_is_who_flew_it(notes: str, etype: tuple[str, str], inter1: int | None, inter2: int | None,
                                 expected: tuple[str, str]) -> None:
    tag = tag_text(notes, event_type=etype[0], sub_event_type=etype[1], inter1=inter1, inter2=inter2)
    assert (tag.drone, tag.role, tag.operator) == (True, *expected)


@pytest.mark.parametrize("notes", [
    "A Western drone struck ISWAP fighters near Monguno.",
    "An MNJTF drone struck a JAS camp near Kirawa.",
    "Un drone russe a frappé des rebelles près de Kidal.",
    "Un drone occidental a bombardé un campement près de Ménaka.",
    "Un drone français a frappé un pick-up de terroristes près de Ménaka.",
])
def test_owner_named_by_nationality_or_alliance_is_a_state(notes: str) -> None:
    """inter1 3 (an unidentified armed group) is what ACLED codes when nobody claimed the strike."""
    tag = tag_text(notes, event_type=AD[0], sub_event_type=AD[1], inter1=3, inter2=2)
    assert (tag.drone, tag.operator) == (True, "state")


@pytest.mark.parametrize("notes,operator", [
    ("A drone of unidentified origin struck a fair near Ber, killing 3 civilians.", "unknown"),
    ("An unclaimed drone strike killed 2 herders near Kidal.", "unknown"),
    ("Un drone d'origine indéterminée a largué des explosifs sur un marché près de Boni.", "unknown"),
    ("A drone whose owner has not been identified bombed a wedding near Mopti.", "unknown"),
    ("A drone from an unknown source dropped a bomb on a fair near Mopti.", "unknown"),
    # unidentified attackers are still armed men: the drone's origin is not what is unknown
    ("Unidentified gunmen used a drone to drop a grenade on a gendarmerie post near Kantchari.", "nonstate"),
])
def test_stated_unknown_origin_is_unknown_not_nonstate(notes: str, operator: str) -> None:
    tag = tag_text(notes, event_type=AD[0], sub_event_type=AD[1], inter1=3, inter2=7)
    assert (tag.drone, tag.operator) == (True, operator)


# --- role --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("notes,etype,role", [
    ("An army drone overflew Kidal while FLA fighters struck the camp with rockets.", BATTLE, "isr"),
    ("A surveillance drone guided the artillery that struck JNIM fighters near Farabougou.", BATTLE, "isr"),
    ("Sous la couverture aérienne d'un drone, un convoi des FAMa a sauté sur un engin explosif près de Gossi.",
     ("Explosions/Remote violence", "Remote explosive/landmine/IED"), "isr"),
    ("Malian troops advanced under drone air cover; JNIM fighters hit them with an explosive-laden truck.",
     BATTLE, "isr"),
    # a drone that itself struck stays a strike, surveillance drone or not
    ("A surveillance drone struck a JNIM motorbike column near Nara.", AD, "strike"),
    ("Soldiers shut down a JNIM drone over the camp at Sevare.", DWU, "intercepted"),
    ("An FLA drone that had struck a FAMa post was shut down by soldiers near Anefis.", DWU, "intercepted"),
    ("Un drone des terroristes a été descendu par les FDS près de Djibo.", DWU, "intercepted"),
    ("Les soldats ont fait tomber un drone du JNIM près de Diafarabé.", DWU, "intercepted"),
])
def test_role(notes: str, etype: tuple[str, str], role: str) -> None:
    tag = tag_text(notes, event_type=etype[0], sub_event_type=etype[1], inter1=1, inter2=2)
    assert (tag.drone, tag.role) == (True, role)


# --- words that are not drones, drones that are not there yet, drones that did not fly ---------------

@pytest.mark.parametrize("notes,etype", [
    ("Gunmen abducted the head of the UAS (Union des Artisans du Sahel) near Segou.", ("Violence against civilians",
                                                                                       "Abduction/forced disappearance")),
    ("Members of the 'Grim Reapers' gang robbed traders near Sokoto.", ("Violence against civilians", "Attack")),
    ("La matrice des risques publiée par le gouvernorat place Gao en zone rouge.", SD_OTHER),
    ("Herders and farmers clashed near Gao after predators killed goats.", BATTLE),
    ("Gunmen shot dead a shopkeeper named Dji Coulibaly near Sikasso.", ("Violence against civilians", "Attack")),
    ("The army announced that drones would support the coming operations near Djibo.", SD_OTHER),
    ("JNIM attacked a post near Kaya; the governor promised to deploy drones there next week.", BATTLE),
    ("Le ministre a déclaré que des drones seront bientôt déployés à Ménaka.", SD_OTHER),
    ("Burkinabe Air Force jets bombed a JNIM drone workshop near Djibo.", AD),
    ("An L-39 struck a truck carrying JNIM drones near Lere.", AD),
    ("Un hélicoptère de l'armée a détruit un entrepôt de drones des terroristes près de Boni.", AD),
])
def test_not_a_drone_in_flight(notes: str, etype: tuple[str, str]) -> None:
    assert not tag_text(notes, event_type=etype[0], sub_event_type=etype[1], inter1=1, inter2=2).drone


@pytest.mark.parametrize("notes", [
    "A UAS operated by the Nigerien army located an IS Sahel column near Abala.",
    "JNIM militants flew a Matrice 30T over the camp at Boni.",
    "US Reapers struck an IS Sahel convoy near Menaka.",
    "A drone struck a JNIM drone workshop near Boulkessi.",
    "The army deployed drones over Kaya after the attack and spotted the militants.",
])
def test_drones_beside_those_words_still_count(notes: str) -> None:
    assert tag_text(notes, event_type=SD_OTHER[0], sub_event_type=SD_OTHER[1], inter1=1, inter2=2).drone


# --- `sahelsim tag` decides what ingest decides for the same row ----------------------------------

_ROWS = [  # actor names that carry no side, so only the inter codes can say who flew it
    {"event_id_cnty": "MLI9001", "actor1": "Dan Na Ambassagou", "inter1": "4", "actor2": "Civilians (Mali)",
     "inter2": "7", "notes": "On 2 June 2025, a drone dropped a grenade on a market near Bankass; 2 killed."},
    {"event_id_cnty": "MLI9002", "event_type": "Strategic developments", "sub_event_type": "Disrupted weapons use",
     "actor1": "Military Forces of Mali (2021-)", "inter1": "1", "actor2": "Dan Na Ambassagou", "inter2": "4",
     "notes": "On 3 June 2025, soldiers shot down a drone over the camp at Bankass."},
    {"event_id_cnty": "MLI9003", "actor1": "Wagner Group", "inter1": "8", "actor2": "", "inter2": "",
     "notes": "Le 4 juin 2025, un drone a frappé un campement près de Ber."},
]


def test_cli_tag_with_a_rows_fields_equals_what_ingest_stored(sahelsim, tmp_path: Path) -> None:
    from acled_files import event, write_acled

    path = write_acled(tmp_path / "rows.csv", [event(**row) for row in _ROWS])
    db = tmp_path / "record.duckdb"
    assert sahelsim("ingest", path, "--db", db).code == 0
    con = duckdb.connect(str(db), read_only=True)
    stored = {r[0]: dict(zip(("drone", "drone_role", "drone_operator", "drone_platform"), r[1:])) for r in
              con.execute("SELECT event_id_cnty, drone, drone_role, drone_operator, drone_platform FROM events")
              .fetchall()}
    con.close()
    for row in (event(**r) for r in _ROWS):
        args = ["tag", "--json", "--text", row["notes"], "--event-type", row["event_type"],
                "--sub-event-type", row["sub_event_type"], "--actor1", row["actor1"], "--actor2", row["actor2"],
                "--inter1", row["inter1"], "--inter2", row["inter2"]]
        result = sahelsim(*args)
        assert result.code == 0, result.stderr
        assert result.json() == stored[row["event_id_cnty"]], row["event_id_cnty"]
    assert [stored[r["event_id_cnty"]]["drone_operator"] for r in _ROWS] == ["nonstate", "nonstate", "state"]


#: Floors (precision, recall, role, operator) of the held-out batches.  The first and second were
#: each scored once (precision 0.849 and 0.934, operator 0.879 and 0.931: aims not met), then became
#: development data for the next round, which tuned general rules on their misses; the first is held
#: to the development floors, the second to what it measured at its first scoring.  The third (170
#: notes by someone who had not seen the rules), copied in after the round-3 rules were committed,
#: was scored once and never tuned on: precision 0.912, recall 0.990, role 0.886, operator 0.933,
#: aims not met.  First scores stay in docs/tagging.md as the honest figures; it lists the misses.
HELDOUT_FLOORS = {
    "drone_notes_heldout.csv": (0.97, 0.97, 0.95, 0.95),
    "drone_notes_heldout2.csv": (0.93, 0.97, 0.96, 0.93),
    "drone_notes_heldout3.csv": (0.91, 0.99, 0.88, 0.93),
    "drone_notes_heldout4.csv": (0.93, 0.96, 0.91, 0.92),
}


@pytest.mark.parametrize("name", HELDOUT_FLOORS)
def test_heldout_batch_keeps_its_floors(name: str) -> None:
    scores = _file_scores(Path(__file__).parent / "data" / name)
    print(scores)
    precision, recall, role, operator = HELDOUT_FLOORS[name]
    assert scores["precision"] >= precision and scores["recall"] >= recall
    assert scores["role"] >= role and scores["operator"] >= operator

# --- second round: rules from the first held-out batch's misses (notes written for these tests) -------

@pytest.mark.parametrize("notes,etype", [
    # kit for drones is not a drone
    ("Gendarmes seized chargers and propellers for drones from a smuggler near Gao.", SD_OTHER),
    # a sound, not an aircraft
    ("Villagers near Monguno heard the drone of aircraft engines before jets struck the camp.", AD),
    # nicknames in any quotes, places named Drone
    ("Gunmen killed a mechanic known locally as 'Drone' near Kaya.", ("Violence against civilians", "Attack")),
    ("Des hommes armés ont tué un berger surnommé « Drone » près de Djibo.", ("Violence against civilians", "Attack")),
    ("Gunmen burned the hamlet of Drone near Bankass.", ("Violence against civilians", "Attack")),
    # threats, leisure goods, piloting courses, assembling and storing are not a drone in flight
    ("JNIM fighters ambushed a convoy near Nara and threatened to use drones against the next one.", BATTLE),
    ("Dans une vidéo, l'EI Sahel a menacé d'utiliser des drones contre les convois près de Ménaka.", BATTLE),
    ("Looters emptied a shop in Mopti of phones and toy drones.", ("Strategic developments", "Looting/property destruction")),
    ("Des jeunes ont été formés au pilotage de drones agricoles à Ségou.", SD_OTHER),
    ("Jets bombed a compound near Kidal where, the army said, rebels had assembled drones.", AD),
    ("L'aviation a bombardé un hangar abritant des drones des rebelles près de Kidal.", AD),
    # drones announced for later, or no longer allowed
    ("Le ministre a annoncé qu'il enverra prochainement des drones à Dori.", SD_OTHER),
    ("The junta said French drones would no longer be allowed over Niamey.", SD_OTHER),
    # negations and rumours denied
    ("Troops repelled an attack on Dikwa; the militants used no drones.", BATTLE),
    ("JNIM published a video of a raid near Djibo; no drone appears in it.", SD_OTHER),
    ("Troops searched the camp near Boni; no drone was found.", BATTLE),
    ("The governor denied rumours that drones had overflown Dori.", SD_OTHER),
    ("Les autorités ont démenti les rumeurs de survol de Gao par des drones.", SD_OTHER),
])
def test_second_round_not_a_drone(notes: str, etype: tuple[str, str]) -> None:
    assert not tag_text(notes, event_type=etype[0], sub_event_type=etype[1], inter1=1, inter2=2).drone


@pytest.mark.parametrize("notes,expected", [
    # the maker's nationality sits between the drone and its owner: the owner decides
    ("Un drone de fabrication chinoise de l'armée a frappé un campement près de Ber.", ("strike", "state")),
    # owners named by alliance or a joint force
    ("Allied drones followed a JNIM column near Nara.", ("isr", "state")),
    ("Un drone de la force unifiée a frappé un pick-up près de Dori.", ("strike", "state")),
    ("Un drone armé européen a frappé une moto près de Gossi.", ("strike", "state")),
    # an operator that "could not be identified" is unknown
    ("A drone whose operator could not be identified bombed a post near Dori.", ("strike", "unknown")),
    # an adverb between the auxiliary and the strike verb
    ("Un drone de l'armée a ensuite frappé les assaillants près de Mopti.", ("strike", "state")),
])
def test_second_round_operator(notes: str, expected: tuple[str, str]) -> None:
    tag = tag_text(notes, event_type=BATTLE[0], sub_event_type=BATTLE[1], inter1=3, inter2=1)
    assert (tag.drone, tag.role, tag.operator) == (True, *expected)


@pytest.mark.parametrize("notes,etype,role", [
    ("Rebels fired on a drone near Tessalit and brought it down.", DWU, "intercepted"),
    ("JNIM overran the post and took a drone left behind by the soldiers.", BATTLE, "intercepted"),
    ("Un drone de l'armée qui survolait depuis des heures la zone de Boni (Douentza) a été mis hors d'usage.",
     DWU, "intercepted"),
    ("An army drone that had just struck rebel positions north of Kidal near Tessalit crashed on its way back.",
     AD, "intercepted"),
])
def test_second_round_role(notes: str, etype: tuple[str, str], role: str) -> None:
    tag = tag_text(notes, event_type=etype[0], sub_event_type=etype[1], inter1=1, inter2=2)
    assert (tag.drone, tag.role) == (True, role)


def test_orlan_is_a_fixed_wing_drone() -> None:
    tag = tag_text("An Orlan-10 drone circled over Tessalit.", event_type=SD_OTHER[0], sub_event_type=SD_OTHER[1],
                   inter1=8)
    assert tag.platform == "fixed_wing"


@pytest.mark.parametrize("notes", [
    "Troops clashed with militants near Kaya; the fighters had used a drone to drop a grenade.",
    "Des soldats ont été blessés près de Ménaka ; l'EI Sahel a utilisé un drone pour larguer une grenade.",
])
def test_dropper_named_fighters_or_ei_sahel_flew_it(notes: str) -> None:
    """ACLED codes the troops as actor1 (inter1 1) here: only the named dropper says who flew it."""
    tag = tag_text(notes, event_type=BATTLE[0], sub_event_type=BATTLE[1], inter1=1, inter2=2)
    assert (tag.drone, tag.role, tag.operator) == (True, "strike", "nonstate")


def test_drone_taken_at_an_arrest_is_intercepted_and_its_users() -> None:
    tag = tag_text("Soldiers arrested two ISWAP suspects near Monguno along with the quadcopter they flew.",
                   event_type="Strategic developments", sub_event_type="Arrests", inter1=1, inter2=2)
    assert (tag.drone, tag.role, tag.operator) == (True, "intercepted", "nonstate")


def test_unestablished_origin_is_an_unknown_operator_not_a_doubt_about_the_drone() -> None:
    tag = tag_text("Un drone dont la provenance n'a pas été établie s'est écrasé près de Ber.",
                   event_type=SD_OTHER[0], sub_event_type=SD_OTHER[1])
    assert (tag.drone, tag.role, tag.operator) == (True, "intercepted", "unknown")
    # a drone itself unconfirmed is still no drone
    assert not tag_text("Un drone a été signalé près de Ber, mais cela n'a pas été confirmé ; le drone "
                        "n'a pas été confirmé.", event_type=SD_OTHER[0], sub_event_type=SD_OTHER[1]).drone


@pytest.mark.parametrize("notes", [
    "Des soldats ont été visés par un drone à Ansongo ; selon des habitants, le JNIM l'avait lancé depuis le fleuve.",
    "Soldiers at Damasak were hit by a drone; residents said ISWAP had launched it from the islands.",
])
def test_a_pronoun_after_the_dropper_stands_for_the_drone(notes: str) -> None:
    tag = tag_text(notes, event_type=AD[0], sub_event_type=AD[1], inter1=1, inter2=2)
    assert (tag.drone, tag.operator) == (True, "nonstate")


# --- third round: rules from the second held-out batch's misses (notes written for these tests) ------

@pytest.mark.parametrize("notes,etype", [
    # drones carried, not flown, and said not to have been used
    ("Des avions de chasse ont détruit un camion transportant des drones près de Ménaka ; les drones "
     "n'avaient pas encore servi.", AD),
    ("Jets destroyed a pick-up carrying drones near Anefis; the drones had not been used.", AD),
    # a sighting that stays a guess, or a report the note itself calls unconfirmed
    ("Herders near Kaya reported an unidentified aircraft, possibly a drone, over their camp at dawn.", SD_OTHER),
    ("Des habitants de Dori ont signalé un appareil non identifié, peut-être un drone, au-dessus du marché.",
     SD_OTHER),
    ("Des sources locales ont parlé d'une frappe de drone sur un hameau de la commune de Sofara, dans le "
     "cercle de Djenné, mais l'information n'a pas pu être confirmée.", AD),
    ("Residents spoke of a drone strike on a hamlet in the commune of Dioura, far west of Mopti. This "
     "could not be confirmed.", AD),
    # surnames, acronyms and building codes that spell a platform
    ("Gunmen kidnapped a Turkish engineer, Mr Akinci, at a quarry near Kayes.", ("Violence against civilians", "Attack")),
    ("Des miliciens du Front Patriotique de Vigilance (FPV) ont affronté des bergers près de Titao.", BATTLE),
    ("Des militants ont incendié le bloc TB2 du lycée de Djibo.", ("Strategic developments",
                                                                     "Looting/property destruction")),
])
def test_third_round_not_a_drone(notes: str, etype: tuple[str, str]) -> None:
    assert not tag_text(notes, event_type=etype[0], sub_event_type=etype[1], inter1=1, inter2=2).drone


@pytest.mark.parametrize("notes,expected", [
    # who claimed the strike flew the drone, whoever speaks of it first
    ("JNIM militants said a drone had bombed their base near Nampala; the army claimed the strike.",
     ("strike", "state")),
    ("Des combattants de l'EI Sahel ont dit qu'un drone avait frappé leur campement ; l'armée a revendiqué la frappe.",
     ("strike", "state")),
    # a note that says nobody knows who flew it
    ("A drone hit a lorry near Nioro; it was unclear who operated it, and neither the army nor JNIM claimed it.",
     ("strike", "unknown")),
    ("Une frappe de drone a touché une moto près de Léré. On ignore qui pilotait l'appareil.", ("strike", "unknown")),
    ("Un drone a frappé un camion près de Tessit. L'appartenance du drone n'a pas été établie.", ("strike", "unknown")),
    ("A drone struck a truck near Tessit; ownership of the drone was not established.", ("strike", "unknown")),
    # the named launcher, and "against" names the target
    ("Lors de combats près de Téra, les hommes de l'EIS ont lancé des drones kamikazes contre les soldats.",
     ("strike", "nonstate")),
    # "piloted by" and "operated by" in French, with forces named by their country
    ("Des hommes du JNIM ont attaqué Diapaga ; un drone piloté par les soldats a largué des charges sur eux.",
     ("strike", "state")),
    ("L'EIS a attaqué des civils près de Filingué ; un drone opéré par les forces nigériennes a frappé les assaillants.",
     ("strike", "state")),
    # fired from a drone, in French
    ("Des militants ont attaqué Tillabéri ; les soldats ont tiré depuis un drone sur leurs motos.",
     ("strike", "state")),
])
def test_third_round_role_and_operator(notes: str, expected: tuple[str, str]) -> None:
    tag = tag_text(notes, event_type=BATTLE[0], sub_event_type=BATTLE[1], inter1=2, inter2=1)
    assert (tag.drone, tag.role, tag.operator) == (True, *expected)


@pytest.mark.parametrize("notes", [
    "A Bayraktar Akinci struck a convoy near Ber.",
    "Un Akinci de l'armée a frappé des motos près de Ber.",
    "A first-person-view (FPV) drone hit a pick-up near Djibo.",
    "A TB2 struck a camp near Kidal.",
])
def test_third_round_platform_words_in_a_drones_company_still_count(notes: str) -> None:
    assert tag_text(notes, event_type=AD[0], sub_event_type=AD[1], inter1=1).drone


# --- fourth round: rules from the third held-out batch's misses (notes written for these tests) ------

@pytest.mark.parametrize("notes,etype", [
    # a sighting explained away, a false alarm, a report that suspected a drone wrongly
    ("A flying object reported over the Sevare camp turned out to be a kite, the army said.", SD_OTHER),
    ("Le prétendu drone aperçu au-dessus de Gao s'est révélé être un ballon publicitaire.", SD_OTHER),
    ("Sirens sounded at the Niamey air base after a false alarm about a drone.", SD_OTHER),
    ("Une fausse alerte au drone a provoqué la fuite des habitants de Boni.", SD_OTHER),
    ("Two civilians died in a blast near Ansongo. Witnesses first reported a drone strike, but the army blamed a "
     "landmine.", ("Explosions/Remote violence", "Remote explosive/landmine/IED")),
    ("Une explosion a tué un berger près de Léré ; des témoins parlent d'un drone sans confirmation.",
     ("Explosions/Remote violence", "Remote explosive/landmine/IED")),
    # a noise like a drone's
    ("Residents of Ménaka heard a buzz like that of a drone at night; nothing was found.", SD_OTHER),
    ("Un bourdonnement semblable à celui d'un drone a inquiété les habitants de Kidal.", SD_OTHER),
    # hobby and schooling
    ("Students in Bamako opened a drone racing club.", SD_OTHER),
    ("Officers in Kano attended a week of lessons on drone maintenance.", SD_OTHER),
    ("Un stage de pilotage de drones a réuni vingt gendarmes à Ouagadougou.", SD_OTHER),
    # a nickname given with "the nickname"
    ("Troops arrested a smuggler who goes by the nickname 'Drone' near Diffa.", ("Strategic developments", "Arrests")),
    # other, earlier drone strikes recalled as background
    ("ISWAP attacked a base near Marte, an area hit by repeated drone strikes in recent months.", BATTLE),
    ("Le JNIM a attaqué un poste près de Nampala. En mars, l'armée avait mené des frappes de drones dans la zone.",
     BATTLE),
    # where drones were stored
    ("Des avions ont bombardé un entrepôt où les rebelles stockaient des drones près d'Anefis.", AD),
    ("Jets destroyed a hangar where rebels kept drones near Anefis.", AD),
])
def test_fourth_round_not_a_drone(notes: str, etype: tuple[str, str]) -> None:
    assert not tag_text(notes, event_type=etype[0], sub_event_type=etype[1], inter1=1, inter2=2).drone


@pytest.mark.parametrize("notes,expected", [
    # the date between the verb and the drone does not hide the downing
    ("Les soldats ont abattu le 2 mars 2025 un drone des jihadistes près de Boni.", ("intercepted", "nonstate")),
    ("Gendarmes seized on 4 May 2025 two quadcopters belonging to ISWAP near Damasak.", ("intercepted", "nonstate")),
    # how it was downed, between the verb and the drone
    ("Des VDP ont abattu par erreur un drone de l'armée près de Kaya.", ("intercepted", "state")),
    ("Des soldats ont abattu par des tirs un drone appartenant à des terroristes près de Djibo.",
     ("intercepted", "nonstate")),
    # a jammer that makes the drone fall
    ("Le brouilleur du camp de Ber a fait chuter un drone du JNIM.", ("intercepted", "nonstate")),
    # the drone named again as "the device"
    ("Police arrested a man flying a quadcopter near the Kano barracks and confiscated the device; he worked for "
     "ISWAP, they said.", ("intercepted", "nonstate")),
    # left behind by its users
    ("Après l'attaque de Solenzo, les soldats ont ramassé un drone abandonné par les assaillants.",
     ("intercepted", "nonstate")),
    # an acronym in brackets between the group and its drone
    ("Troops seized a broken Islamic State (ISWAP) drone near Malam Fatori.", ("intercepted", "nonstate")),
    # a drone used as the instrument is not the drone destroyed
    ("Les soldats ont détruit à l'aide d'un drone kamikaze un pick-up des assaillants près de Téra.",
     ("strike", "state")),
    # the drone guides someone else's fire
    ("Un hélicoptère a bombardé une base du JNIM près de Macina tandis qu'un drone de l'armée guidait les tirs.",
     ("isr", "state")),
    # shots that missed it strike nothing
    ("Soldiers fired at a drone that circled over the Tessit camp but did not hit it; it was a JNIM drone.",
     ("isr", "nonstate")),
])
def test_fourth_round_role_and_operator(notes: str, expected: tuple[str, str]) -> None:
    tag = tag_text(notes, event_type=DWU[0], sub_event_type=DWU[1], inter1=1, inter2=3)
    assert (tag.drone, tag.role, tag.operator) == (True, *expected)


@pytest.mark.parametrize("notes", [
    "A one-way attack quadcopter hit a checkpoint near Dori.",
    "Une munition rôdeuse a frappé un véhicule près de Ménaka.",
])
def test_fourth_round_one_way_attack_drones_are_fpv(notes: str) -> None:
    assert tag_text(notes, event_type=AD[0], sub_event_type=AD[1], inter1=2).platform == "fpv"
