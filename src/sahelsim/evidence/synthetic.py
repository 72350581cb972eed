"""Synthetic ACLED-shaped events for tests, benchmarks and demos, never for analysis.

Real ACLED data cannot be redistributed, yet the readers, the store, the drone tagger and the trends
must be exercised at the scale of a full export (a million rows and more). This module draws events
that look like the Sahel slice of an export: the right countries, places, actors by period (ACLED's
dated "Military Forces of Mali (2021-)" strings, ISGS becoming IS Sahel, CSP-DPA becoming the FLA),
the ACLED taxonomy, English and French notes, mostly-zero fatalities with a heavy tail, and 5-10 %
drone events mixed with the look-alikes that make drone tagging hard (manned air strikes, notes that
only mention drones).

Every row says it is synthetic: ``source`` is "Synthetic (sahelsim)", ids are ``SYN-<n>``, and
``tags`` carries the ground truth (``drone_truth=strike|isr|intercepted|none``) so a tagger's
precision and recall can be measured on it.

Rows are drawn in fixed blocks, each from its own seed derived from (seed, block number), so the
first k rows of a table are the same whatever n is, and a file streamed in chunks equals the table
built in memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sahelsim.evidence.actors import ActorRegistry
from sahelsim.evidence.schema import ACLED_COLUMNS

SOURCE = "Synthetic (sahelsim)"
BLOCK_ROWS = 10_000
FIRST_DAY = dt.date(2018, 1, 1)
LAST_DAY = dt.date(2026, 6, 30)
_EPOCH = dt.date(1970, 1, 1)

# ------------------------------------------------------------------------------------------- places
# (admin1, admin2, admin3, location, latitude, longitude); ACLED spells admin names without accents.
_PLACES: dict[str, tuple[tuple[str, str, str, str, float, float], ...]] = {
    "Mali": (
        ("Mopti", "Bandiagara", "Bandiagara", "Bandiagara", 14.350, -3.610),
        ("Mopti", "Douentza", "Douentza", "Douentza", 15.003, -2.950),
        ("Mopti", "Djenne", "Djenne", "Djenne", 13.906, -4.553),
        ("Mopti", "Mopti", "Socoura", "Sevare", 14.530, -4.100),
        ("Mopti", "Koro", "Koro", "Koro", 14.073, -3.080),
        ("Segou", "Niono", "Niono", "Niono", 14.252, -5.993),
        ("Segou", "Macina", "Macina", "Macina", 13.962, -5.358),
        ("Tombouctou", "Tombouctou", "Tombouctou", "Timbuktu", 16.773, -3.007),
        ("Tombouctou", "Goundam", "Goundam", "Goundam", 16.414, -3.671),
        ("Gao", "Gao", "Gao", "Gao", 16.272, -0.045),
        ("Gao", "Ansongo", "Ansongo", "Ansongo", 15.660, 0.502),
        ("Menaka", "Menaka", "Menaka", "Menaka", 15.918, 2.402),
        ("Kidal", "Kidal", "Kidal", "Kidal", 18.441, 1.408),
        ("Kidal", "Tessalit", "Tessalit", "Tessalit", 20.199, 1.011),
        ("Kayes", "Kayes", "Kayes", "Kayes", 14.447, -11.445),
        ("Kayes", "Dieme", "Dieme", "Dieme", 14.540, -9.190),
        ("Koulikoro", "Kati", "Kati", "Kati", 12.744, -8.073),
        ("Sikasso", "Bougouni", "Bougouni", "Bougouni", 11.418, -7.483),
        ("Bamako", "Bamako", "Bamako", "Bamako", 12.639, -8.003),
    ),
    "Burkina Faso": (
        ("Sahel", "Soum", "Djibo", "Djibo", 14.102, -1.631),
        ("Sahel", "Oudalan", "Gorom-Gorom", "Gorom-Gorom", 14.443, -0.236),
        ("Sahel", "Seno", "Dori", "Dori", 14.035, -0.035),
        ("Sahel", "Yagha", "Sebba", "Sebba", 13.436, 0.530),
        ("Centre-Nord", "Sanmatenga", "Kaya", "Kaya", 13.092, -1.084),
        ("Centre-Nord", "Bam", "Kongoussi", "Kongoussi", 13.326, -1.533),
        ("Nord", "Loroum", "Titao", "Titao", 13.767, -2.067),
        ("Nord", "Yatenga", "Ouahigouya", "Ouahigouya", 13.578, -2.422),
        ("Est", "Gnagna", "Bogande", "Bogande", 12.970, -0.138),
        ("Est", "Tapoa", "Diapaga", "Diapaga", 12.071, 1.789),
        ("Est", "Gourma", "Fada N'Gourma", "Fada N'Gourma", 12.062, 0.358),
        ("Boucle du Mouhoun", "Kossi", "Nouna", "Nouna", 12.729, -3.864),
        ("Centre", "Kadiogo", "Ouagadougou", "Ouagadougou", 12.371, -1.520),
    ),
    "Niger": (
        ("Tillaberi", "Ouallam", "Tondikiwindi", "Tongo Tongo", 15.053, 1.836),
        ("Tillaberi", "Ouallam", "Ouallam", "Ouallam", 14.318, 2.086),
        ("Tillaberi", "Tera", "Tera", "Tera", 14.008, 0.753),
        ("Tillaberi", "Banibangou", "Banibangou", "Banibangou", 15.040, 2.700),
        ("Tillaberi", "Abala", "Abala", "Abala", 14.930, 3.433),
        ("Tillaberi", "Torodi", "Torodi", "Torodi", 13.115, 1.796),
        ("Tahoua", "Tillia", "Tillia", "Tillia", 16.137, 4.790),
        ("Tahoua", "Tassara", "Tassara", "Tassara", 16.800, 5.550),
        ("Diffa", "Diffa", "Diffa", "Diffa", 13.315, 12.611),
        ("Diffa", "Bosso", "Bosso", "Bosso", 13.700, 13.310),
        ("Dosso", "Dosso", "Dosso", "Dosso", 13.049, 3.194),
        ("Niamey", "Niamey", "Niamey IV", "Niamey", 13.512, 2.113),
    ),
    "Nigeria": (
        ("Borno", "Maiduguri", "", "Maiduguri", 11.833, 13.150),
        ("Borno", "Damboa", "", "Damboa", 11.155, 12.756),
        ("Borno", "Gwoza", "", "Gwoza", 11.086, 13.692),
        ("Borno", "Bama", "", "Bama", 11.522, 13.689),
        ("Borno", "Konduga", "", "Konduga", 11.653, 13.419),
        ("Borno", "Monguno", "", "Monguno", 12.670, 13.612),
        ("Borno", "Marte", "", "Marte", 12.366, 13.829),
        ("Borno", "Kukawa", "", "Baga", 13.113, 13.832),
        ("Borno", "Mobbar", "", "Damasak", 13.107, 12.508),
        ("Yobe", "Geidam", "", "Geidam", 12.895, 11.927),
        ("Yobe", "Gujba", "", "Buni Yadi", 11.270, 12.007),
        ("Adamawa", "Madagali", "", "Madagali", 10.891, 13.627),
        ("Adamawa", "Michika", "", "Michika", 10.621, 13.390),
    ),
    "Togo": (
        ("Savanes", "Kpendjal", "", "Mandouri", 10.859, 0.826),
        ("Savanes", "Tone", "", "Dapaong", 10.862, 0.208),
        ("Savanes", "Oti", "", "Mango", 10.359, 0.471),
        ("Savanes", "Tandjoare", "", "Tandjoare", 10.641, 0.228),
    ),
    "Benin": (
        ("Alibori", "Karimama", "", "Karimama", 12.067, 3.183),
        ("Alibori", "Malanville", "", "Malanville", 11.862, 3.386),
        ("Alibori", "Banikoara", "", "Banikoara", 11.298, 2.438),
        ("Atacora", "Tanguieta", "", "Tanguieta", 10.621, 1.264),
        ("Atacora", "Materi", "", "Materi", 10.698, 1.060),
    ),
}
_COUNTRY_WEIGHTS = {"Mali": 0.30, "Burkina Faso": 0.32, "Niger": 0.14, "Nigeria": 0.19,
                    "Togo": 0.025, "Benin": 0.025}
_ISO = {"Mali": 466, "Burkina Faso": 854, "Niger": 562, "Nigeria": 566, "Togo": 768, "Benin": 204}
_COUNTRIES = tuple(_PLACES)

# ------------------------------------------------------------------------------------------- actors
# An actor slot is one organisation whose ACLED name changes with the date (regime-dated armies,
# renamed groups). Each entry: (first day the name applies, ACLED name).
_JNIM = "JNIM: Group for Support of Islam and Muslims"
_SLOTS: dict[str, tuple[tuple[str, str], ...]] = {
    "jnim": (("2000-01-01", _JNIM),),
    "is": (("2000-01-01", "Islamic State (Greater Sahara)"),
           ("2019-03-01", "Islamic State (West Africa) - Greater Sahara Faction"),
           ("2022-03-01", "Islamic State (Sahel)")),
    "iswap": (("2000-01-01", "Islamic State (West Africa)"),),
    "jas": (("2000-01-01", "Boko Haram - Jamaatu Ahli is-Sunnah lid-Dawati wal-Jihad"),),
    "azawad": (("2000-01-01", "CMA: Coordination of Azawad Movements"),
               ("2023-09-01", "CSP-DPA: Permanent Strategic Framework for Peace, Security and Development"),
               ("2024-12-01", "FLA: Azawad Liberation Front")),
    "ansarul": (("2000-01-01", "Ansaroul Islam"),),
    "dan_na": (("2000-01-01", "Dan Na Ambassagou"),),
    "dozo_ml": (("2000-01-01", "Dozo Communal Militia (Mali)"),),
    "dozo_bf": (("2000-01-01", "Dozo Communal Militia (Burkina Faso)"),),
    "vdp": (("2000-01-01", "VDP: Volunteers for the Defense of the Homeland"),),
    "cjtf": (("2000-01-01", "CJTF: Civilian Joint Task Force"),),
    "mnjtf": (("2000-01-01", "MNJTF: Multinational Joint Task Force"),),
    "mil_Mali": (("2000-01-01", "Military Forces of Mali (2013-2020)"),
                 ("2020-08-18", "Military Forces of Mali (2020-2021)"),
                 ("2021-05-24", "Military Forces of Mali (2021-)")),
    "mil_Burkina Faso": (("2000-01-01", "Military Forces of Burkina Faso (2015-2022)"),
                         ("2022-01-24", "Military Forces of Burkina Faso (2022-)")),
    "mil_Niger": (("2000-01-01", "Military Forces of Niger (2011-2021)"),
                  ("2021-04-02", "Military Forces of Niger (2021-2023)"),
                  ("2023-07-26", "Military Forces of Niger (2023-)")),
    "mil_Nigeria": (("2000-01-01", "Military Forces of Nigeria (2015-2023)"),
                    ("2023-05-29", "Military Forces of Nigeria (2023-)")),
    "mil_Togo": (("2000-01-01", "Military Forces of Togo (2005-)"),),
    "mil_Benin": (("2000-01-01", "Military Forces of Benin (2016-)"),),
    # Foreign forces beside the Malian and Nigerien armies, by period.
    "foreign_Mali": (("2000-01-01", "Military Forces of France (2017-2022)"),
                     ("2022-08-15", "Wagner Group"),
                     ("2025-06-06", "Africa Corps")),
    "foreign_Niger": (("2000-01-01", "Military Forces of France (2017-2022)"),
                      ("2022-05-14", "Military Forces of France (2022-)"),
                      ("2023-12-22", ""),
                      ("2024-04-10", "Africa Corps")),
    "none": (("2000-01-01", ""),),
}
for _country in _COUNTRIES:
    for _generic in ("Civilians", "Protesters", "Rioters", "Unidentified Armed Group"):
        _SLOTS[f"{_generic}_{_country}"] = (("2000-01-01", f"{_generic} ({_country})"),)

# role -> country -> {slot: weight}; a "{c}" in a slot name stands for the row's country.
_ROLES: dict[str, dict[str, dict[str, float]]] = {
    "armed": {
        "Mali": {"jnim": 0.55, "is": 0.15, "azawad": 0.08, "dan_na": 0.06, "dozo_ml": 0.03, "ua": 0.13},
        "Burkina Faso": {"jnim": 0.58, "is": 0.18, "ansarul": 0.04, "dozo_bf": 0.05, "ua": 0.15},
        "Niger": {"is": 0.45, "jnim": 0.20, "iswap": 0.15, "jas": 0.05, "ua": 0.15},
        "Nigeria": {"iswap": 0.45, "jas": 0.30, "ua": 0.25},
        "Togo": {"jnim": 0.85, "ua": 0.15},
        "Benin": {"jnim": 0.85, "ua": 0.15},
    },
    # Organised armed groups, without the militias and the unidentified gunmen.
    "jihadist": {
        "Mali": {"jnim": 0.70, "is": 0.18, "azawad": 0.12},
        "Burkina Faso": {"jnim": 0.75, "is": 0.20, "ansarul": 0.05},
        "Niger": {"is": 0.60, "jnim": 0.25, "iswap": 0.15},
        "Nigeria": {"iswap": 0.60, "jas": 0.40},
        "Togo": {"jnim": 1.0},
        "Benin": {"jnim": 1.0},
    },
    # Groups documented flying drones: JNIM, IS Sahel, ISWAP and the Azawad rebels.
    "drone_armed": {
        "Mali": {"jnim": 0.75, "azawad": 0.15, "is": 0.10},
        "Burkina Faso": {"jnim": 0.90, "is": 0.10},
        "Niger": {"is": 0.60, "jnim": 0.30, "iswap": 0.10},
        "Nigeria": {"iswap": 1.0},
        "Togo": {"jnim": 1.0},
        "Benin": {"jnim": 1.0},
    },
    "militia": {
        "Mali": {"dan_na": 0.6, "dozo_ml": 0.4},
        "Burkina Faso": {"vdp": 0.7, "dozo_bf": 0.3},
        "Niger": {"ua": 1.0},
        "Nigeria": {"cjtf": 1.0},
        "Togo": {"ua": 1.0},
        "Benin": {"ua": 1.0},
    },
    "support": {
        "Mali": {"foreign_Mali": 1.0},
        "Burkina Faso": {"vdp": 1.0},
        "Niger": {"foreign_Niger": 1.0},
        "Nigeria": {"cjtf": 0.7, "mnjtf": 0.3},
        "Togo": {"none": 1.0},
        "Benin": {"none": 1.0},
    },
}
_COUNTRY_ROLES = {"state": "mil_{c}", "civ": "Civilians_{c}", "protest": "Protesters_{c}",
                  "riot": "Rioters_{c}", "none": "none"}
_UNIDENTIFIED = "Unidentified Armed Group_{c}"

# Short forms used inside notes: (English, French), by ACLED name or name prefix.
_SHORT: dict[str, tuple[str, str]] = {
    _JNIM: ("JNIM militants", "des militants du JNIM"),
    "Islamic State (Greater Sahara)": ("ISGS militants", "des combattants de l'EIGS"),
    "Islamic State (West Africa) - Greater Sahara Faction": ("ISGS militants", "des combattants de l'EIGS"),
    "Islamic State (Sahel)": ("IS Sahel militants", "des combattants de l'État islamique au Sahel"),
    "Islamic State (West Africa)": ("ISWAP fighters", "des combattants de l'ISWAP"),
    "Boko Haram": ("Boko Haram (JAS) fighters", "des combattants de Boko Haram"),
    "CMA": ("CMA fighters", "des combattants de la CMA"),
    "CSP-DPA": ("CSP-DPA fighters", "des combattants du CSP-DPA"),
    "FLA": ("FLA fighters", "des combattants du FLA"),
    "Ansaroul Islam": ("Ansarul Islam militants", "des militants d'Ansaroul Islam"),
    "Dan Na Ambassagou": ("Dan Na Ambassagou militiamen", "des miliciens de Dan Na Ambassagou"),
    "Dozo": ("Dozo hunters", "des chasseurs dozos"),
    "VDP": ("VDP volunteers", "des VDP"),
    "CJTF": ("CJTF members", "des membres de la CJTF"),
    "MNJTF": ("MNJTF troops", "des soldats de la FMM"),
    "Military Forces of Mali": ("Malian soldiers (FAMa)", "des soldats des FAMa"),
    "Military Forces of Burkina Faso": ("Burkinabe soldiers", "des soldats burkinabè"),
    "Military Forces of Niger": ("Nigerien soldiers", "des soldats nigériens"),
    "Military Forces of Nigeria": ("Nigerian troops", "des soldats nigérians"),
    "Military Forces of Togo": ("Togolese soldiers", "des soldats togolais"),
    "Military Forces of Benin": ("Beninese soldiers", "des soldats béninois"),
    "Military Forces of France": ("French troops", "des militaires français"),
    "Wagner Group": ("Wagner Group personnel", "des éléments du groupe Wagner"),
    "Africa Corps": ("Africa Corps personnel", "des éléments de l'Africa Corps"),
    "Civilians": ("civilians", "des civils"),
    "Protesters": ("protesters", "des manifestants"),
    "Rioters": ("rioters", "des émeutiers"),
    "Unidentified Armed Group": ("unidentified gunmen", "des hommes armés non identifiés"),
    "": ("", ""),
}

# ---------------------------------------------------------------------------------------- scenarios
_DISORDER = {"Battles": "Political violence", "Violence against civilians": "Political violence",
             "Explosions/Remote violence": "Political violence", "Protests": "Demonstrations",
             "Riots": "Demonstrations", "Strategic developments": "Strategic developments"}


@dataclass(frozen=True)
class _Scenario:
    """One kind of event: its ACLED coding, who does what to whom, the notes, the death toll."""

    weight: float
    event_type: str
    subs: dict[str, float]
    actor1: str
    actor2: str   # "none" when the event has no second actor
    truth: str
    en: tuple[str, ...]
    fr: tuple[str, ...]
    zero_deaths: float = 1.0
    death_scale: float = 0.0
    since: str | None = None


_BATTLE_EN = ("{a1} attacked {a2} near {loc} ({adm}); the assault was repelled after several hours.",
              "{a1} clashed with {a2} at {loc} ({adm}).",
              "{a1} ambushed a patrol of {a2} on the road near {loc} ({adm}).")
_BATTLE_FR = ("{a1} ont attaqué {a2} près de {loc} ({adm}).",
              "des affrontements ont opposé {a1} à {a2} à {loc} ({adm}).",
              "{a1} ont tendu une embuscade à une patrouille près de {loc} ({adm}), visant {a2}.")

_SCENARIOS: tuple[_Scenario, ...] = (
    _Scenario(0.20, "Battles", {"Armed clash": 0.93, "Non-state actor overtakes territory": 0.07},
              "armed", "state", "none", _BATTLE_EN, _BATTLE_FR, 0.45, 4.0),
    _Scenario(0.07, "Battles", {"Armed clash": 0.9, "Government regains territory": 0.1},
              "state", "jihadist", "none",
              ("{a1} conducted a sweep operation against {a2} around {loc} ({adm}).",
               "{a1} clashed with {a2} near {loc} ({adm}) during a patrol."),
              ("{a1} ont mené une opération de ratissage contre {a2} autour de {loc} ({adm}).",
               "{a1} ont accroché {a2} près de {loc} ({adm}) lors d'une patrouille."), 0.4, 5.0),
    _Scenario(0.04, "Battles", {"Armed clash": 1.0}, "jihadist", "militia", "none",
              ("{a1} clashed with {a2} in {loc} ({adm}).",),
              ("des combats ont opposé {a1} et {a2} à {loc} ({adm}).",), 0.5, 3.0),
    _Scenario(0.15, "Violence against civilians", {"Attack": 1.0}, "armed", "civ", "none",
              ("{a1} attacked {a2} in {loc} ({adm}).",
               "{a1} raided {loc} ({adm}), shooting at {a2} and burning granaries."),
              ("{a1} ont attaqué {a2} à {loc} ({adm}).",
               "{a1} ont fait irruption à {loc} ({adm}) et s'en sont pris à {a2}."), 0.3, 3.0),
    _Scenario(0.04, "Violence against civilians", {"Abduction/forced disappearance": 1.0},
              "armed", "civ", "none",
              ("{a1} abducted {a2} near {loc} ({adm}).",),
              ("{a1} ont enlevé {a2} près de {loc} ({adm}).",)),
    _Scenario(0.04, "Violence against civilians", {"Attack": 1.0}, "state", "civ", "none",
              ("{a1} killed {a2} accused of complicity with armed groups in {loc} ({adm}).",),
              ("{a1} ont tué {a2} accusés de complicité avec les groupes armés à {loc} ({adm}).",),
              0.2, 4.0),
    _Scenario(0.06, "Explosions/Remote violence", {"Remote explosive/landmine/IED": 1.0},
              "jihadist", "state", "none",
              ("{a1} detonated an IED against a vehicle of {a2} near {loc} ({adm}).",
               "a roadside bomb planted by {a1} hit a convoy of {a2} near {loc} ({adm})."),
              ("{a1} ont fait exploser un engin explosif improvisé au passage de {a2} près de {loc} ({adm}).",
               "un EEI posé par {a1} a touché un convoi de {a2} près de {loc} ({adm})."), 0.5, 2.0),
    _Scenario(0.02, "Explosions/Remote violence", {"Shelling/artillery/missile attack": 1.0},
              "jihadist", "state", "none",
              ("{a1} fired mortar rounds at a camp of {a2} in {loc} ({adm}).",),
              ("{a1} ont tiré des obus de mortier sur le camp de {a2} à {loc} ({adm}).",), 0.8, 1.5),
    # Manned aircraft share the "Air/drone strike" sub-event type: the classic false positive.
    _Scenario(0.03, "Explosions/Remote violence", {"Air/drone strike": 1.0}, "state", "jihadist", "none",
              ("{a1} carried out air strikes with fighter jets on positions of {a2} near {loc} ({adm}).",
               "a helicopter gunship of {a1} struck {a2} near {loc} ({adm}).",
               "aircraft supporting {a1} bombed a gathering of {a2} near {loc} ({adm})."),
              ("{a1} ont mené des frappes aériennes par avions de chasse contre {a2} près de {loc} ({adm}).",
               "un hélicoptère de combat a frappé {a2} près de {loc} ({adm})."), 0.35, 6.0),
    _Scenario(0.08, "Protests", {"Peaceful protest": 0.9, "Protest with intervention": 0.1},
              "protest", "none", "none",
              ("{a1} gathered in {loc} ({adm}) to protest against insecurity. [size=no report]",
               "{a1} marched in {loc} ({adm}) in support of the transitional authorities. [size=no report]"),
              ("{a1} se sont rassemblés à {loc} ({adm}) pour dénoncer l'insécurité.",)),
    _Scenario(0.02, "Riots", {"Violent demonstration": 1.0}, "riot", "none", "none",
              ("{a1} set up barricades and burned tyres in {loc} ({adm}) after an attack nearby.",),
              ("{a1} ont érigé des barricades et brûlé des pneus à {loc} ({adm}).",), 0.95, 1.0),
    _Scenario(0.02, "Strategic developments", {"Arrests": 1.0}, "state", "civ", "none",
              ("{a1} arrested several people suspected of supplying armed groups in {loc} ({adm}).",),
              ("{a1} ont interpellé plusieurs personnes soupçonnées de ravitailler les groupes armés "
               "à {loc} ({adm}).",)),
    _Scenario(0.03, "Strategic developments", {"Looting/property destruction": 1.0}, "armed", "none", "none",
              ("{a1} looted shops and took livestock in {loc} ({adm}).",),
              ("{a1} ont pillé des boutiques et emporté du bétail à {loc} ({adm}).",)),
    _Scenario(0.015, "Strategic developments", {"Disrupted weapons use": 1.0}, "state", "none", "none",
              ("{a1} found and defused an IED on the road near {loc} ({adm}).",),
              ("{a1} ont découvert et désamorcé un engin explosif sur l'axe près de {loc} ({adm}).",)),
    _Scenario(0.01, "Strategic developments", {"Headquarters or base established": 1.0},
              "jihadist", "none", "none",
              ("{a1} set up a base in the forest near {loc} ({adm}).",),
              ("{a1} ont installé une base dans la forêt près de {loc} ({adm}).",)),
    # Notes that talk about drones without any drone being used.
    _Scenario(0.008, "Protests", {"Peaceful protest": 1.0}, "protest", "none", "none",
              ("{a1} demonstrated in {loc} ({adm}) against the purchase of combat drones, asking for "
               "more ground troops instead. [size=no report]",),
              ("{a1} ont manifesté à {loc} ({adm}) contre l'achat de drones de combat.",)),
    _Scenario(0.007, "Strategic developments", {"Other": 1.0}, "state", "none", "none",
              ("{a1} took delivery of new Bayraktar TB2 drones at a ceremony in {loc} ({adm}).",
               "anti-drone jammers were handed over to {a1} in {loc} ({adm}).",
               "authorities banned the flying of civilian drones over {loc} ({adm}) for security reasons."),
              ("{a1} ont réceptionné de nouveaux drones lors d'une cérémonie à {loc} ({adm}).",
               "des brouilleurs anti-drones ont été remis à {a1} à {loc} ({adm}).")),
    # Drone events.
    _Scenario(0.025, "Explosions/Remote violence", {"Air/drone strike": 1.0}, "drone_armed", "state",
              "strike",
              ("{a1} used a drone to drop explosives on a military post held by {a2} in {loc} ({adm}).",
               "{a1} struck {a2} at {loc} ({adm}) with several explosive-laden drones.",
               "{a1} flew a kamikaze drone into a position of {a2} near {loc} ({adm}).",
               "an FPV drone operated by {a1} hit a vehicle of {a2} near {loc} ({adm}).",
               "{a1} attacked {a2} in {loc} ({adm}) with an armed UAV carrying grenades."),
              ("{a1} ont largué des explosifs à l'aide d'un drone sur un poste tenu par {a2} à {loc} ({adm}).",
               "{a1} ont frappé {a2} à {loc} ({adm}) avec plusieurs drones chargés d'explosifs.",
               "un drone kamikaze lancé par {a1} a frappé une position de {a2} près de {loc} ({adm})."),
              0.6, 1.5, "2023-01-01"),
    _Scenario(0.015, "Battles", {"Armed clash": 1.0}, "drone_armed", "state", "strike",
              ("{a1} attacked a camp of {a2} in {loc} ({adm}), first dropping explosives from drones and "
               "then launching a ground assault.",
               "{a1}, supported by armed drones, overran a position of {a2} near {loc} ({adm})."),
              ("{a1} ont attaqué le camp de {a2} à {loc} ({adm}), d'abord avec des drones armés, puis "
               "par un assaut au sol.",
               "appuyés par des drones, {a1} ont pris d'assaut une position de {a2} près de {loc} ({adm})."),
              0.25, 8.0, "2023-01-01"),
    _Scenario(0.02, "Explosions/Remote violence", {"Air/drone strike": 1.0}, "state", "jihadist", "strike",
              ("{a1} carried out a drone strike on a gathering of {a2} near {loc} ({adm}).",
               "a Bayraktar TB2 drone of {a1} struck {a2} near {loc} ({adm}).",
               "{a1} targeted {a2} with an armed drone around {loc} ({adm})."),
              ("{a1} ont mené une frappe de drone contre un regroupement de {a2} près de {loc} ({adm}).",
               "un drone Bayraktar TB2 de l'armée a frappé {a2} près de {loc} ({adm})."),
              0.4, 5.0, "2020-01-01"),
    _Scenario(0.008, "Strategic developments", {"Other": 1.0}, "drone_armed", "state", "isr",
              ("a surveillance drone attributed to {a1} was seen over a camp of {a2} in {loc} ({adm}) at "
               "night; no attack followed.",
               "{a1} flew a reconnaissance drone over positions of {a2} near {loc} ({adm})."),
              ("un drone de surveillance attribué à {a1} a survolé de nuit le camp de {a2} à {loc} ({adm}), "
               "sans attaque.",),
              since="2021-01-01"),
    _Scenario(0.007, "Strategic developments", {"Disrupted weapons use": 1.0}, "state", "drone_armed",
              "intercepted",
              ("{a1} shot down a drone operated by {a2} near {loc} ({adm}).",
               "{a1} jammed and brought down a drone belonging to {a2} approaching their base in {loc} ({adm})."),
              ("{a1} ont abattu un drone appartenant à {a2} près de {loc} ({adm}).",
               "{a1} ont neutralisé par brouillage un drone de {a2} qui approchait de leur base à {loc} ({adm})."),
              since="2023-01-01"),
)
_FRENCH_SHARE = 0.25
_SOURCE_SCALES = ("National", "Regional", "Local partner-National", "New media", "International",
                  "Other-National")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")
_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
              "octobre", "novembre", "décembre")


# ------------------------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class _Lookups:
    """Everything precomputed once: flat arrays indexed by codes that the draws produce."""

    names: tuple[str, ...]                 # every ACLED actor string, "" first
    inter: np.ndarray                      # ACLED actor type per name (0 for "")
    short: tuple[tuple[str, str], ...]     # note forms per name
    slot_days: dict[str, np.ndarray]       # slot -> first day of each name, days since epoch
    slot_names: dict[str, np.ndarray]      # slot -> name codes
    place_lat: np.ndarray
    place_lon: np.ndarray
    places: tuple[tuple[str, str, str, str, float, float], ...]
    country_start: np.ndarray
    country_count: np.ndarray
    templates: tuple[str, ...]
    template_french: np.ndarray            # 1 where the template is French
    template_start: np.ndarray             # per scenario and language: first template code
    template_count: np.ndarray


def _day(text: str) -> int:
    return (dt.date.fromisoformat(text) - _EPOCH).days


def _short_form(name: str) -> tuple[str, str]:
    if name in _SHORT:
        return _SHORT[name]
    # Longest prefix first, so "Military Forces of Nigeria" is not taken for "... of Niger".
    prefix = next(key for key in sorted(_SHORT, key=len, reverse=True) if key and name.startswith(key))
    return _SHORT[prefix]


@cache
def _lookups() -> _Lookups:
    registry = ActorRegistry.load()
    names = sorted({name for timeline in _SLOTS.values() for _, name in timeline} | {""})
    code = {name: i for i, name in enumerate(names)}
    inter = np.array([registry.get(registry.resolve(n)).inter if n else 0 for n in names], dtype=np.int64)
    places = tuple(p for country in _COUNTRIES for p in _PLACES[country])
    counts = np.array([len(_PLACES[c]) for c in _COUNTRIES])
    templates: list[str] = []
    starts, sizes, french = [], [], []
    for scenario in _SCENARIOS:
        for lang, texts in enumerate((scenario.en, scenario.fr)):
            starts.append(len(templates))
            sizes.append(len(texts))
            templates.extend(texts)
            french.extend([lang] * len(texts))
    return _Lookups(
        names=tuple(names), inter=inter, short=tuple(_short_form(n) for n in names),
        slot_days={s: np.array([_day(d) for d, _ in t]) for s, t in _SLOTS.items()},
        slot_names={s: np.array([code[n] for _, n in t]) for s, t in _SLOTS.items()},
        place_lat=np.array([p[4] for p in places]), place_lon=np.array([p[5] for p in places]),
        places=places, country_start=np.concatenate([[0], np.cumsum(counts)[:-1]]), country_count=counts,
        templates=tuple(templates), template_french=np.array(french), template_start=np.array(starts),
        template_count=np.array(sizes))


# -------------------------------------------------------------------------------------------- draws
def _choice(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """Categorical draws by inverse CDF: one uniform per row, no Python loop."""
    cdf = np.cumsum(np.asarray(weights, dtype=float))
    return np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(size), side="right"), len(cdf) - 1)


def _slot_for(role: str, country: str) -> dict[str, float]:
    if role in _COUNTRY_ROLES:
        return {_COUNTRY_ROLES[role].format(c=country): 1.0}
    pool = _ROLES[role][country]
    return {(_UNIDENTIFIED.format(c=country) if slot == "ua" else slot): w for slot, w in pool.items()}


def _actors(rng: np.random.Generator, roles: np.ndarray, role_names: Sequence[str], country: np.ndarray,
            day: np.ndarray, look: _Lookups) -> np.ndarray:
    """Name codes for one actor column: pick a slot per row by role and country, then its name by date."""
    out = np.zeros(len(roles), dtype=np.int64)
    for r, role in enumerate(role_names):
        for c, country_name in enumerate(_COUNTRIES):
            rows = np.flatnonzero((roles == r) & (country == c))
            if not rows.size:
                continue
            pool = _slot_for(role, country_name)
            slots = list(pool)
            picked = _choice(rng, list(pool.values()), rows.size)
            for s, slot in enumerate(slots):
                chosen = rows[picked == s]
                period = np.searchsorted(look.slot_days[slot], day[chosen], side="right") - 1
                out[chosen] = look.slot_names[slot][period]
    return out


def _render(codes: np.ndarray, text_of: Callable[[int], str]) -> pa.Array:
    """Format each distinct code once and spread the strings by index: notes stay vectorised."""
    unique, inverse = np.unique(codes, return_inverse=True)
    return pa.array([text_of(int(u)) for u in unique], type=pa.string()).take(pa.array(inverse))


def _block(seed: int, block: int, look: _Lookups) -> pa.Table:
    """BLOCK_ROWS synthetic events drawn from their own stream, ids numbered from the block's start."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    n = BLOCK_ROWS
    scenario = _choice(rng, [s.weight for s in _SCENARIOS], n)
    country = _choice(rng, [_COUNTRY_WEIGHTS[c] for c in _COUNTRIES], n)
    place = look.country_start[country] + (rng.random(n) * look.country_count[country]).astype(np.int64)
    day = _dates(rng, scenario)
    time_precision = 1 + _choice(rng, [0.80, 0.15, 0.05], n)
    day = np.where(time_precision == 3, _mid_month(day), day)
    geo_precision = 1 + _choice(rng, [0.70, 0.25, 0.05], n)

    role_names = sorted({s.actor1 for s in _SCENARIOS} | {s.actor2 for s in _SCENARIOS})
    role_index = {r: i for i, r in enumerate(role_names)}
    role1 = np.array([role_index[s.actor1] for s in _SCENARIOS])[scenario]
    role2 = np.array([role_index[s.actor2] for s in _SCENARIOS])[scenario]
    actor1 = _actors(rng, role1, role_names, country, day, look)
    actor2 = _actors(rng, role2, role_names, country, day, look)
    with_support = (role2 == role_index["state"]) & (rng.random(n) < 0.2)
    assoc2 = np.where(with_support, _actors(rng, np.zeros(n, np.int64), ["support"], country, day, look), 0)

    sub = _sub_events(rng, scenario)
    fatalities = _fatalities(rng, scenario)
    french = rng.random(n) < _FRENCH_SHARE
    notes = _notes(rng, scenario, french, actor1, actor2, place, day, time_precision, look)
    return _table(block, scenario, country, place, day, time_precision, geo_precision, actor1, actor2,
                  assoc2, sub, fatalities, notes, rng, look)


def _dates(rng: np.random.Generator, scenario: np.ndarray) -> np.ndarray:
    """Days since epoch, denser in later years as the conflict grows; drone kinds start late."""
    first = np.array([_day(s.since or FIRST_DAY.isoformat()) for s in _SCENARIOS])[scenario]
    last = (LAST_DAY - _EPOCH).days
    return first + np.floor((last - first + 1) * rng.random(len(scenario)) ** 0.75).astype(np.int64)


def _mid_month(day: np.ndarray) -> np.ndarray:
    """A month-precise event is dated to the 15th, as in the bundled record, so it sits mid-month."""
    month = day.astype("datetime64[D]").astype("datetime64[M]")
    return (month.astype("datetime64[D]") + 14).astype(np.int64)


def _sub_events(rng: np.random.Generator, scenario: np.ndarray) -> np.ndarray:
    labels = sorted({sub for s in _SCENARIOS for sub in s.subs})
    out = np.zeros(len(scenario), dtype=np.int64)
    for k, spec in enumerate(_SCENARIOS):
        rows = np.flatnonzero(scenario == k)
        codes = np.array([labels.index(sub) for sub in spec.subs])
        out[rows] = codes[_choice(rng, list(spec.subs.values()), rows.size)]
    return np.array(labels, dtype=object)[out]


def _fatalities(rng: np.random.Generator, scenario: np.ndarray) -> np.ndarray:
    """Mostly zero, otherwise a Pareto tail: a few events carry most of the dead, as in the record."""
    zero = np.array([s.zero_deaths for s in _SCENARIOS])[scenario]
    scale = np.array([s.death_scale for s in _SCENARIOS])[scenario]
    tail = np.ceil(scale * (rng.pareto(1.3, len(scenario)) + 0.3)).astype(np.int64)
    return np.where(rng.random(len(scenario)) < zero, 0, np.minimum(tail, 400))


def _notes(rng: np.random.Generator, scenario: np.ndarray, french: np.ndarray, actor1: np.ndarray,
           actor2: np.ndarray, place: np.ndarray, day: np.ndarray, precision: np.ndarray,
           look: _Lookups) -> pa.Array:
    slot = scenario * 2 + french
    offset = (rng.random(len(slot)) * look.template_count[slot]).astype(np.int64)
    template = look.template_start[slot] + offset
    n_names, n_places = len(look.names), len(look.places)
    body_code = ((template * n_names + actor1) * n_names + actor2) * n_places + place

    def body(code: int) -> str:
        code, p = divmod(code, n_places)
        code, a2 = divmod(code, n_names)
        t, a1 = divmod(code, n_names)
        lang = int(look.template_french[t])
        admin1, _, _, location, _, _ = look.places[p]
        text = look.templates[t].format(a1=look.short[a1][lang], a2=look.short[a2][lang],
                                        loc=location, adm=admin1)
        return text.replace(" de des ", " de ") if lang else text   # French: "de des" contracts

    date_code = (day * 3 + (precision - 1)) * 2 + french
    prefix = _render(date_code, _date_prefix)
    return pc.binary_join_element_wise(prefix, _render(body_code, body), " ")


def _date_prefix(code: int) -> str:
    rest, french = divmod(code, 2)
    days, precision = divmod(rest, 3)
    date = _EPOCH + dt.timedelta(days=days)
    if french:
        month = _MONTHS_FR[date.month - 1]
        return (f"Le {date.day} {month} {date.year},", f"Semaine du {date.day} {month} {date.year},",
                f"En {month} {date.year},")[precision]
    month = _MONTHS_EN[date.month - 1]
    return (f"On {date.day} {month} {date.year},", f"On {date.day} {month} {date.year} (week of),",
            f"In {month} {date.year} (month of),")[precision]


def _table(block: int, scenario: np.ndarray, country: np.ndarray, place: np.ndarray, day: np.ndarray,
           time_precision: np.ndarray, geo_precision: np.ndarray, actor1: np.ndarray, actor2: np.ndarray,
           assoc2: np.ndarray, sub: np.ndarray, fatalities: np.ndarray, notes: pa.Array,
           rng: np.random.Generator, look: _Lookups) -> pa.Table:
    n = len(scenario)
    names = pa.array([name or None for name in look.names], type=pa.string())   # empty = null, as in exports
    event_types = np.array([s.event_type for s in _SCENARIOS], dtype=object)[scenario]
    inter1, inter2 = look.inter[actor1], look.inter[actor2]
    interaction = np.where(inter2 == 0, inter1 * 10,
                           np.minimum(inter1, inter2) * 10 + np.maximum(inter1, inter2))
    jitter = np.array([0.0, 0.01, 0.15, 0.5])[geo_precision]
    dates = day.astype("datetime64[D]")
    first_id = block * BLOCK_ROWS + 1
    numbers = pa.array(np.arange(first_id, first_id + n)).cast(pa.string())
    ids = pc.binary_join_element_wise("SYN-", numbers, "")
    tags = np.array([f"sahelsim-synthetic; drone_truth={s.truth}" for s in _SCENARIOS], dtype=object)
    columns = {
        "event_id_cnty": ids,
        "event_date": pa.array(dates, type=pa.date32()),
        "year": pa.array(dates.astype("datetime64[Y]").astype(np.int64) + 1970),
        "time_precision": pa.array(time_precision),
        "disorder_type": pa.array(np.array([_DISORDER[s.event_type] for s in _SCENARIOS],
                                           dtype=object)[scenario], type=pa.string()),
        "event_type": pa.array(event_types, type=pa.string()),
        "sub_event_type": pa.array(sub, type=pa.string()),
        "actor1": names.take(pa.array(actor1)),
        "assoc_actor_1": pa.nulls(n, pa.string()),
        "inter1": pa.array(inter1),
        "actor2": names.take(pa.array(actor2)),
        "assoc_actor_2": names.take(pa.array(assoc2)),
        "inter2": pa.array(inter2),
        "interaction": pa.array(interaction),
        "civilian_targeting": pa.array(np.where(inter2 == 7, "Civilian targeting", None), type=pa.string()),
        "iso": pa.array(np.array([_ISO[c] for c in _COUNTRIES])[country]),
        "region": pa.array(["Western Africa"] * n, type=pa.string()),
        "country": pa.array(np.array(_COUNTRIES, dtype=object)[country], type=pa.string()),
        **_place_columns(place, look),
        "latitude": pa.array(np.round(look.place_lat[place] + jitter * rng.standard_normal(n), 4)),
        "longitude": pa.array(np.round(look.place_lon[place] + jitter * rng.standard_normal(n), 4)),
        "geo_precision": pa.array(geo_precision),
        "source": pa.array([SOURCE] * n, type=pa.string()),
        "source_scale": pa.array(np.array(_SOURCE_SCALES, dtype=object)[_choice(rng, [3, 2, 2, 1, 1, 1], n)],
                                 type=pa.string()),
        "notes": notes,
        "fatalities": pa.array(fatalities),
        "tags": pa.array(tags[scenario], type=pa.string()),
        "timestamp": pa.array((day + 2 + rng.integers(0, 40, n)) * 86_400 + rng.integers(0, 86_400, n)),
    }
    return pa.table({name: columns[name] for name in ACLED_COLUMNS})


def _place_columns(place: np.ndarray, look: _Lookups) -> dict[str, pa.Array]:
    index = pa.array(place)
    return {name: pa.array([p[i] or None for p in look.places], type=pa.string()).take(index)
            for i, name in enumerate(("admin1", "admin2", "admin3", "location"))}


# --------------------------------------------------------------------------------------------- API
def generate_acled(n: int, seed: int = 0) -> pa.Table:
    """n synthetic events in the 31 columns of an ACLED export, the same for the same seed."""
    if n < 0:
        raise ValueError("n must be >= 0")
    look = _lookups()
    blocks = [_block(seed, b, look) for b in range(max(1, -(-n // BLOCK_ROWS)))]
    return pa.concat_tables(blocks).slice(0, n)


def write_acled_csv(path: str | Path, n: int, seed: int = 0, chunk: int = 100_000) -> int:
    """Stream n synthetic events to a CSV file, holding about `chunk` rows in memory; returns n.

    The file equals ``generate_acled(n, seed)`` written at once: chunks only bound memory.
    """
    look = _lookups()
    blocks_per_chunk = max(1, chunk // BLOCK_ROWS)
    n_blocks = -(-n // BLOCK_ROWS)
    schema = _block(seed, 0, look).schema
    with pacsv.CSVWriter(str(path), schema) as writer:
        for first in range(0, n_blocks, blocks_per_chunk):
            last = min(first + blocks_per_chunk, n_blocks)
            table = pa.concat_tables([_block(seed, b, look) for b in range(first, last)])
            writer.write_table(table.slice(0, n - first * BLOCK_ROWS))
    return n


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sahelsim.evidence.synthetic",
                                     description="Write synthetic ACLED-format Sahel events to a CSV file.")
    parser.add_argument("out", type=Path, help="CSV file to write")
    parser.add_argument("--rows", type=int, default=100_000, help="number of events (default 100000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be >= 0")
    write_acled_csv(args.out, args.rows, args.seed)
    print(f"wrote {args.rows} synthetic events to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
