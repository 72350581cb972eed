"""The actor registry: every name the record and the press use for a group lands on one key."""

from __future__ import annotations

from pathlib import Path

import pytest
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
    assert registry.lineage("fla")[0] == "csp_dpa"
    assert {"ansar_dine", "katiba_macina", "al_mourabitoun"} <= set(registry.lineage("jnim"))
    assert registry.lineage("iswap") == ["jas"]
    assert registry.lineage("wagner") == []


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
