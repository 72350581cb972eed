"""The actor registry: every name the record and the press use for a group lands on one key."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from acled_files import event, write_acled
from hypothesis import given
from hypothesis import strategies as st

from sahelsim.errors import UserError
from sahelsim.evidence.actors import SIDES, ActorRegistry, normalise


@pytest.fixture(scope="module")
def registry() -> ActorRegistry:
    return ActorRegistry.load()


# The names and aliases listed for each actor in FACTS.md, English and French.
FACTS_ALIASES = {
    "jnim": ["JNIM", "Jama'at Nusrat al-Islam wal-Muslimin", "GSIM",
             "Groupe de soutien à l'islam et aux musulmans", "JNIM: Group for Support of Islam and Muslims"],
    "is_sahel": ["Islamic State Sahel Province", "ISSP", "IS Sahel", "Islamic State in the Greater Sahara",
                 "ISGS", "EIGS", "État islamique au Grand Sahara", "Islamic State (Sahel)",
                 "Islamic State (Greater Sahara)"],
    "iswap": ["Islamic State West Africa Province", "ISWAP", "Islamic State (West Africa)"],
    "jas": ["Jama'atu Ahlis Sunna Lidda'awati wal-Jihad", "Boko Haram"],
    "fla": ["Front de Libération de l'Azawad", "Azawad Liberation Front", "FLA: Azawad Liberation Front"],
    "csp_dpa": ["CSP-DPA", "Cadre stratégique permanent pour la défense du peuple de l'Azawad",
                "CSP-DPA: Permanent Strategic Framework for Peace, Security and Development"],
    "africa_corps": ["Africa Corps", "Afrika Korps", "Russian Africa Corps"],
    "wagner": ["Wagner Group"],
    "katiba_macina": ["Katiba Macina"],
    "ansar_dine": ["Ansar Dine"],
    "al_mourabitoun": ["Al-Mourabitoun"],
    "military_mali": ["FAMa", "Military Forces of Mali (2021-)"],
    "military_niger": ["FDS", "FAN", "Military Forces of Niger (2023-)"],
    "military_burkina_faso": ["Military Forces of Burkina Faso (2022-)", "armed forces of Burkina Faso"],
    "military_nigeria": ["Nigerian Army", "Military Forces of Nigeria (2023-)"],
    "vdp": ["VDP", "Volontaires pour la défense de la patrie", "VDP: Volunteers for the Defense of the Homeland"],
    "cjtf": ["CJTF", "CJTF: Civilian Joint Task Force"],
    "dozo": ["Dozo Communal Militia (Burkina Faso)"],
    "aes": ["AES", "Alliance des États du Sahel"],
    "french_forces": ["Barkhane", "Opération Serval"],
    "us_forces": ["AFRICOM"],
}


@pytest.mark.parametrize(("key", "name"), [(k, n) for k, names in FACTS_ALIASES.items() for n in names])
def test_facts_aliases_resolve(registry: ActorRegistry, key: str, name: str) -> None:
    assert registry.resolve(name) == key


@pytest.mark.parametrize(("name", "key"), [
    ("Military Forces of Mali (2012-2020)", "military_mali"),
    ("Military Forces of Mali (2020-2021)", "military_mali"),
    ("Military Forces of Burkina Faso (2015-2022)", "military_burkina_faso"),
    ("Military Forces of Niger (2011-2021)", "military_niger"),
    ("Military Forces of Nigeria (2015-2023) Air Force", "military_nigeria"),
    ("Military Forces of Benin (2016-2026)", "military_benin"),
    ("Military Forces of France (2017-2022)", "french_forces"),
    ("Military Forces of the United States (2017-2021)", "us_forces"),
    ("Police Forces of Mali (2021-) Gendarmerie", "police_mali"),
    ("Civilians (Burkina Faso)", "civilians"),
    ("Unidentified Armed Group (Niger)", "unidentified_armed_group"),
    ("Islamic State (West Africa) - Greater Sahara Faction", "is_sahel"),
])
def test_dated_and_generic_acled_strings(registry: ActorRegistry, name: str, key: str) -> None:
    assert registry.resolve(name) == key


@pytest.mark.parametrize(("name", "key"), [
    ("Military Forces of Mali (1992-2002)", "military_mali"),
    ("Military Forces of Mali (2031-)", "military_mali"),  # a period ACLED has not opened yet
    ("MILITARY FORCES OF NIGERIA (1999-2015) JOINT TASK FORCE", "military_nigeria"),
    ("military forces of burkina faso ( 2015 - )", "military_burkina_faso"),
    ("Police Forces of Bénin (2016-)", "police_benin"),
    ("Police Forces of Niger (2023-)", "police_niger"),
    ("Police Forces of Chad (1990-2021)", "police_chad"),
    ("Police Forces of Cameroon (1982-) Gendarmerie", "police_cameroon"),
    ("Military Forces of Mauritania (2009-2019)", "military_mauritania"),
    ("Government of Mali (2002-2012)", "military_mali"),
    ("VDP: Volunteers for the Defense of the Homeland (2020-)", "vdp"),
    ("MINUSMA: United Nations Multidimensional Integrated Stabilization Mission in Mali (2013-2023)", "minusma"),
    ("Mutiny of Military Forces of Mali (2002-2012)", "mutineers"),
    ("Dogon Ethnic Militia (Mali)", "dogon_militia"),
    ("Fulani Ethnic Militia (Burkina Faso)", "fulani_militia"),
    ("Tiv Ethnic Militia (Nigeria)", "communal_militia"),
    ("Unidentified Communal Militia (Chad)", "communal_militia"),
    ("Vigilante Militia (Nigeria)", "vigilantes"),
    ("Protesters (Mauritania)", "protesters"),
    ("Ambazonian Separatists (Cameroon)", "ambazonian_separatists"),
])
def test_one_qualifier_rule_for_periods_units_and_places(registry: ActorRegistry, name: str, key: str) -> None:
    assert registry.resolve(name) == key


@pytest.mark.parametrize("name", [
    "Military Forces of Ruritania (2020-)",
    "Military Forces of Mali (20-)",
    "Islamic State (Mars)",
    "(2021-)",
])
def test_the_qualifier_rule_does_not_invent_actors(registry: ActorRegistry, name: str) -> None:
    assert registry.resolve(name) is None


@pytest.mark.parametrize(("name", "key"), [
    ("MNLA: National Movement for the Liberation of Azawad", "mnla"),
    ("MUJAO: Movement for Unity and Jihad in West Africa", "mujao"),
    ("Boko Haram - Wilayat Gharb Ifriqiyyah", "iswap"),
    ("Boko Haram - Jamatu Ahli is-Sunnah lid-Dawati wal-Jihad", "jas"),
    ("Boko Haram - Jamaatu Ahli is-Sunnah lid-Dawati wal-Jihad", "jas"),
    ("CMA: Coordination of Azawad Movements", "cma"),
    ("MSA: Movement for the Salvation of Azawad", "msa"),
    ("Al Mourabitoune", "al_mourabitoun"),
    ("Al Mourabitoune Battalion", "al_mourabitoun"),
    ("Janjaweed", "janjaweed"),
    ("UFDD: Union of Forces for Democracy and Development", "ufdd"),
    ("MDJT: Movement for Democracy and Justice in Chad", "mdjt"),
    ("MNJ: Movement of Niger People for Justice", "mnj"),
    ("Police Forces of Mali (2021-)", "police_mali"),
    ("VDP: Volunteer for Defense of Homeland", "vdp"),
    ("Unidentified Armed Group (Mali)", "unidentified_armed_group"),
    ("Ganda Koy", "ganda_koy"),
    ("Ganda Izo", "ganda_izo"),
    ("GATIA: Imghad Tuareg and Allies Self-Defense Group", "gatia"),
    ("Koglweogo Militia", "koglweogo"),
    ("Katiba Serma", "katiba_serma"),
    ("GSPC: Salafist Group for Preaching and Combat", "aqim"),
    ("Operation Barkhane", "french_forces"),
    ("G5 Sahel", "g5_sahel"),
    ("Ansaru", "ansaru"),
    ("IPOB: Indigenous People of Biafra", "ipob"),
])
def test_frequent_sahel_actor_strings(registry: ActorRegistry, name: str, key: str) -> None:
    assert registry.resolve(name) == key


@pytest.mark.parametrize(("name", "key"), [
    ("JNIM: Group for Support of Islam and Muslims and/or Islamic State (Greater Sahara)", "ambiguous:jnim,is_sahel"),
    ("JNIM: Group for Support of Islam and Muslims and/or Islamic State (West Africa) - Greater Sahara Faction",
     "ambiguous:jnim,is_sahel"),
    ("Islamic State (Sahel) or JNIM: Group for Support of Islam and Muslims", "ambiguous:is_sahel,jnim"),
    ("Islamic State (Greater Sahara) and/or Ansaroul Islam", "ambiguous:is_sahel,ansarul_islam"),
    ("islamic state (sahel) AND/OR jnim", "ambiguous:is_sahel,jnim"),
    ("Military Forces of Mali (2021-) and/or Wagner Group and/or Africa Corps",
     "ambiguous:military_mali,wagner,africa_corps"),
])
def test_combined_attributions_keep_every_candidate(registry: ActorRegistry, name: str, key: str) -> None:
    assert registry.resolve(name) == key


@pytest.mark.parametrize(("name", "key"), [
    ("Fulani Ethnic Militia (Mali) and/or Fulani Ethnic Militia (Burkina Faso)", "fulani_militia"),
    ("JNIM: Group for Support of Islam and Muslims and/or Katiba Imaginaire", None),
    ("Katiba Imaginaire or Brigade Inconnue", None),
    ("Military Forces of Mali (2021-) and/or Katiba Imaginaire", None),
])
def test_combined_attributions_need_two_known_actors(registry: ActorRegistry, name: str, key: str | None) -> None:
    assert registry.resolve(name) == key


def test_candidates_display_names_and_sides(registry: ActorRegistry) -> None:
    assert registry.candidates("jnim") == ("jnim",)
    assert registry.candidates("ambiguous:jnim,is_sahel") == ("jnim", "is_sahel")
    assert registry.display_name("jnim") == "JNIM"
    assert registry.display_name("ambiguous:jnim,is_sahel") == "JNIM or IS Sahel"
    assert registry.display_name("military_mali") == "Malian Armed Forces"
    assert registry.side("ambiguous:jnim,is_sahel") == "nonstate"
    assert registry.side("ambiguous:military_mali,wagner") == "unknown"
    for key in ("ambiguous:jnim,nobody", "nobody"):
        with pytest.raises(KeyError):
            registry.candidates(key)


def test_every_actor_has_a_display_name(registry: ActorRegistry) -> None:
    for actor in registry.actors:
        assert registry.display_name(actor.key)[0].isupper(), actor.key


# Stands for ACLED exports of Mali, Burkina Faso, Niger, Nigeria, Chad, Cameroon, Mauritania, Benin and
# Togo, 1997-2025: ACLED's actor1 strings with estimated event counts (see docs/ingest.d/actors.md).
SAHEL_ACTOR1 = Path(__file__).parent / "data" / "acled_sahel_actor1_counts.csv"

# The strings the registry leaves unmatched on purpose: party militias, foreign armies outside the
# region's wars, private guards and small groups. Add an actor and remove it here.
KNOWN_UNMATCHED = {
    "APC: All Progressives Congress", "PDP: Peoples Democratic Party",
    "Amotekun Corps: Western Nigeria Security Network", "Hisbah Corps", "Shiite Muslim Militia (Nigeria)",
    "Private Security Forces (Nigeria)", "Private Security Forces (Mali)",
    "Former Military Forces of Burkina Faso (1987-2014)",
    "Military Forces of Sudan (1989-2019)", "Military Forces of Algeria (1999-)",
    "Military Forces of the Ivory Coast (2011-)", "Military Forces of Ghana (2017-)",
    "Military Forces of Libya (2014-)", "Military Forces of Senegal (2012-)",
    "RFC: Rally of Forces for Change", "CCMSR: Military Command Council for the Salvation of the Republic",
    "JEM: Justice and Equality Movement", "GMA: Mourabitounes Group of Azawad", "Militia (Miners)", "Lakurawa",
}


def _sahel_actor1() -> dict[str, int]:
    with SAHEL_ACTOR1.open(encoding="utf-8", newline="") as handle:
        return {row["actor1"]: int(row["events"]) for row in csv.DictReader(handle)}


def test_registry_matches_97_percent_of_sahel_actor1_events(registry: ActorRegistry) -> None:
    counts = _sahel_actor1()
    matched = sum(events for name, events in counts.items() if registry.resolve(name) is not None)
    assert matched / sum(counts.values()) >= 0.97


def test_the_unmatched_sahel_strings_are_the_known_ones(registry: ActorRegistry) -> None:
    assert {name for name in _sahel_actor1() if registry.resolve(name) is None} == KNOWN_UNMATCHED


@pytest.mark.parametrize("name", [
    "  jnim:  GROUP for support of islam AND muslims ",
    "Groupe de soutien a l'Islam et aux Musulmans",
    "GROUPE DE SOUTIEN À L’ISLAM ET AUX MUSULMANS",
    "Jamaat Nusrat al Islam wal Muslimin",
])
def test_resolution_ignores_case_accents_and_punctuation(registry: ActorRegistry, name: str) -> None:
    assert registry.resolve(name) == "jnim"


@pytest.mark.parametrize("name", [None, "", "   ", "Military Forces of Ruritania (2020-)",
                                  "Some Unknown Brigade", "Civilians of Mars"])
def test_unknown_names_give_none(registry: ActorRegistry, name: str | None) -> None:
    assert registry.resolve(name) is None


@given(st.text(max_size=40))
def test_resolve_never_raises(name: str) -> None:
    result = ActorRegistry.load().resolve(name)
    assert result is None or isinstance(result, str)


def test_lineage(registry: ActorRegistry) -> None:
    assert registry.lineage("africa_corps") == ["wagner"]
    assert {"ansar_dine", "katiba_macina", "al_mourabitoun"} <= set(registry.lineage("jnim"))
    assert registry.lineage("wagner") == []


@pytest.mark.parametrize(("key", "predecessors"), [
    ("fla", ["csp_dpa", "cma", "mnla"]),
    ("is_sahel", ["al_mourabitoun", "mujao"]),
    ("iswap", ["boko_haram_undivided"]),
    ("jas", ["boko_haram_undivided"]),
    ("ganda_izo", ["ganda_koy"]),
])
def test_lineages_reach_the_first_organisation(registry: ActorRegistry, key: str, predecessors: list[str]) -> None:
    assert registry.lineage(key) == predecessors


def test_isgs_names_keep_the_is_sahel_key(registry: ActorRegistry) -> None:
    """A rename keeps one key: ISGS is not a predecessor of IS Sahel but the same organisation."""
    assert registry.resolve("Islamic State (Greater Sahara)") == registry.resolve("ISGS") == "is_sahel"
    assert "is_sahel" not in registry.lineage("is_sahel")


def test_sides_and_parents(registry: ActorRegistry) -> None:
    assert registry.side("jnim") == "nonstate"
    assert registry.side("military_mali") == "state"
    assert registry.side("africa_corps") == "foreign_state_aligned"
    assert registry.side("civilians") == "none"
    assert registry.get("katiba_macina").parent == "jnim"
    assert all(actor.side in SIDES for actor in registry.actors)


def test_required_keys_present(registry: ActorRegistry) -> None:
    required = {"jnim", "is_sahel", "iswap", "jas", "fla", "csp_dpa", "ansarul_islam", "katiba_macina",
                "ansar_dine", "military_mali", "military_burkina_faso", "military_niger", "military_nigeria",
                "military_togo", "military_benin", "vdp", "dozo", "cjtf", "dan_na_ambassagou", "wagner",
                "africa_corps", "french_forces", "us_forces"}
    assert required <= {actor.key for actor in registry.actors}


def test_every_acled_string_resolves_to_its_own_key(registry: ActorRegistry) -> None:
    for actor in registry.actors:
        for name in actor.names:
            assert registry.resolve(name) == actor.key, name


def test_normalise() -> None:
    assert normalise("État islamique au Grand-Sahara") == "etat islamique au grand sahara"
    assert normalise("Jama'at") == normalise("Jamaat")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "actors.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "field"), [
    ('[[actor]]\nkey = "x"\nside = "rebel"\nkind = "militia"\n', "actor[0] (x).side"),
    ('[[actor]]\nkey = "X Y"\nside = "state"\nkind = "military"\n', "actor[0].key"),
    ('[[actor]]\nkey = "x"\nside = "state"\n', "actor[0] (x).kind"),
    ('[[actor]]\nkey = "x"\nside = "state"\nkind = "m"\nacled = "one"\n', "actor[0] (x).acled"),
    ('[[actor]]\nkey = "x"\nside = "state"\nkind = "m"\npatterns = ["(unclosed"]\n', "actor[0] (x).patterns"),
    ('[[actor]]\nkey = "x"\nside = "state"\nkind = "m"\ninter = 9\n', "actor[0] (x).inter"),
    ('[[actor]]\nkey = "x"\nside = "state"\nkind = "m"\nnmaes_en = ["a"]\n', "actor[0] (x).nmaes_en"),
    ('[[actor]]\nkey = "x"\nside = "state"\nkind = "m"\nsuccessor_of = ["y"]\n', "x.successor_of"),
    ('[[actor]]\nkey = "x"\nside = "state"\nkind = "m"\nnames_en = ["A"]\n'
     '[[actor]]\nkey = "y"\nside = "state"\nkind = "m"\nnames_fr = ["a"]\n', "y.names"),
    ('[[actor]]\nkey = "x"\nside = "state"\nkind = "m"\n'
     '[[actor]]\nkey = "x"\nside = "state"\nkind = "m"\n', "x.key"),
    ('[[actor]]\nkey = "x"\nside = "state"\nkind = "m"\nsuccessor_of = ["y"]\n'
     '[[actor]]\nkey = "y"\nside = "state"\nkind = "m"\nsuccessor_of = ["x"]\n', "x.successor_of"),
    ('title = "no actors"\n', "actor"),
])
def test_bad_registry_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(UserError) as caught:
        ActorRegistry.load(path)
    assert caught.value.file == str(path)
    assert caught.value.field == field
    assert str(path) in str(caught.value)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not valid TOML"):
        ActorRegistry.load(_write(tmp_path, "[[actor]\nkey = 1"))
    with pytest.raises(UserError, match="cannot read"):
        ActorRegistry.load(tmp_path / "missing.toml")


def test_ingest_stores_ambiguous_keys_and_lists_only_unknown_names(sahelsim, tmp_path: Path, db: Path) -> None:
    combined = "JNIM: Group for Support of Islam and Muslims and/or Islamic State (Sahel)"
    rows = [event(actor1=combined, actor2="Police Forces of Mali (2021-) Gendarmerie"),
            event(event_id_cnty="MLI1002", actor1="Katiba Imaginaire and/or Islamic State (Sahel)")]
    assert sahelsim("ingest", write_acled(tmp_path / "a.csv", rows), "--db", db).code == 0
    with duckdb.connect(str(db), read_only=True) as con:
        keys = con.execute("SELECT actor1_key, actor2_key FROM events ORDER BY event_id_cnty").fetchall()
    assert keys == [("ambiguous:jnim,is_sahel", "police_mali"), (None, "military_mali")]
    unmatched = sahelsim("actors", "--unmatched", "--db", db, "--json").json()
    assert unmatched == [{"actor": "Katiba Imaginaire and/or Islamic State (Sahel)", "events": 1}]
