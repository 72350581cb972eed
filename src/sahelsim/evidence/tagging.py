"""Drone tagging: which events in the record involve a drone, how it was used, by whom, and what kind.

Every event gets four derived fields read from its ``notes`` (English or French) together with
``event_type``, ``sub_event_type`` and the coded actors (``actor1``/``actor2``, ``inter1``/``inter2``):

``drone``           was a drone actually used or present in this event (not merely mentioned)
``drone_role``      ``strike`` | ``isr`` | ``intercepted`` (shot down, crashed, jammed down, captured)
``drone_operator``  ``state`` | ``nonstate`` | ``unknown`` -- who flew it, not who was hit
``drone_platform``  ``quadcopter`` | ``fpv`` | ``fixed_wing`` | ``male`` | ``unknown``

Why one SQL implementation
    Ingest tags millions of rows inside DuckDB, so the rules are written once, as a DuckDB select-list
    fragment built from RE2 regular expressions (:func:`drone_tag_sql`).  :func:`tag_text` and
    :func:`tag_many` run that same SQL, so the labelled-set tests, the benchmark and ingest can never
    disagree with each other.  There is deliberately no Python re-implementation of the rules.

Why the text is lower-cased and accent-stripped first
    ``strip_accents(lower(notes))`` once is cheaper than ``(?i)`` on every pattern, and lets one
    ASCII pattern match French written with or without accents (``abattu``, ``largué``/``largue``,
    ``aéronef``/``aeronef``), which matters because exports and re-keyed communiqués often lose them.

How a note is read (in this order)
    1. Phrases that contain a drone word but say nothing about a drone in flight are blanked out:
       "air/drone strike" (ACLED's own category name), anti-drone / counter-drone kit, jammers, drone
       hangars, bases, workshops, depots and launch sites (a jet bombing one flies no drone), drone
       parts and kit "for drones", pilots in training, names, nicknames and places ("the Drone Hotel",
       "surnommé « Drone »", "the hamlet of Drone"), the drone of engines (a sound), toy and leisure
       drones, threats to use drones, and drones promised or announced for later ("drones would
       support", "des drones seront déployés", "prochainement").
    2. A drone term must remain (drone, UAV, quadcopter, FPV, TB2, Akinci, Mavic, drone kamikaze,
       aéronef sans pilote...).  Words that are also names or acronyms count only in a drone's
       company: "a UAS" (not "the UAS cooperative"), "US Reapers" (not the "Grim Reapers"),
       "Matrice 30T" (not "la matrice des risques"); "DJI" and "predators" alone never do.  Manned air strikes (jets, helicopters, Su-24, L-39,
       "aviation", "vecteurs aériens", "frappes aériennes") carry no drone term and so stay untagged,
       even when ACLED codes them "Air/drone strike".
    3. Negations and doubts veto the event ("no drone was used", "not a drone", "aucun drone",
       "et non d'un drone", "could not be confirmed", "whether aircraft or drones", "used no drones",
       denied rumours) -- except when what is unconfirmed is the drone's origin or owner: that is a
       drone of unknown origin.
    4. Frames where drones are talked about but not flown veto it unless an operational verb is
       present: protests and riots, and strategic developments about acquisitions, deliveries,
       ceremonies, training, bans, threats, statements or denials.
    5. Role: a drone downing an aircraft (strike) > the drone intercepted (shot, shut or brought
       down, jammed, crashed, captured, seized, confiscated) > a strike cue tied to the drone > ISR
       cue > a strike cue that names no drone (an IED, an "explosive-laden" vehicle, "engin
       explosif": another party's weapon when the drone only watched) > the event type
       (explosions/remote violence default to strike, everything else to ISR) > "attacked ... with
       drones".  The drone-tied strike cues read a copy of the text where a drone escorting, covering
       or guiding someone is consumed and a change of subject ("while", "as", "pendant que") ends the
       clause, so "a drone overflew Kidal while FLA fighters struck" is ISR.
    6. Operator: an explicit "unidentified drone"/"operator unknown" > a MALE platform (only states
       fly them in this theatre) > an actor written next to the drone ("JNIM drone", "drone de
       l'armée", "drone operated by IS Sahel", "drone ennemi", "un drone russe", "a Western drone")
       > an attribution ("it belonged to ISWAP", "the FLA blamed the army") > whom a seized drone
       was taken from ("confiscated a drone from Nigerian soldiers") > "a drone that JNIM
       militants had been flying" > the party it watched over ("a FAMa convoy escorted by a drone") > for interceptions, the side that
       lost it (``inter2``) unless "its drone" names the owner > the named dropper or firer
       ("soldiers fired ... from a drone") > the actor after a "said/reported" verb > the first
       actor of the clause that introduces the drone > ``inter1`` (ACLED's actor1 is the one that
       acted; the actor1 name when the code is missing) > unknown.  Before the last three, the
       parties that did not fly it are blanked: targets and victims ("JNIM militants were killed
       when a drone struck", "neutralised several terrorists"), speakers of a drone they did not
       fly ("FLA fighters said a drone had bombed their base") and sources ("selon l'armée,").
    7. Platform: MALE > FPV/kamikaze > fixed-wing > quadcopter > unknown, from explicit names only.

Known limits are listed in ``docs/tagging.md`` with the measured precision and recall.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from sahelsim.errors import utf8_text

if TYPE_CHECKING:  # pragma: no cover - typing only
    import duckdb
    import pandas
    import pyarrow

ROLES = ("strike", "isr", "intercepted")
OPERATORS = ("state", "nonstate", "unknown")
PLATFORMS = ("quadcopter", "fpv", "fixed_wing", "male", "unknown")
OUTPUT_COLUMNS = ("drone", "drone_role", "drone_operator", "drone_platform")
INPUT_COLUMNS = ("notes", "event_type", "sub_event_type", "actor1", "actor2", "inter1", "inter2")

# ---------------------------------------------------------------------------------------------
# Pattern lists.  All patterns are RE2, lower case, accent-free: they run on the normalised text.
# Use only non-capturing groups (?:...) inside lists; the composed SQL relies on group numbers.
# ---------------------------------------------------------------------------------------------

#: Words that name a drone.  English and French share "drone(s)".
DRONE_TERMS_EN: list[str] = [
    r"drones?", r"uavs?", r"unmanned aerial", r"unmanned aircraft",
    r"quadcopters?", r"quadrocopters?", r"quadrotors?", r"multi-?rotors?", r"hexacopters?", r"octocopters?",
    r"fpv",
    r"bayraktar", r"tb2s?", r"mq-?9a?", r"mq-?1c?",
    r"wing ?loong", r"mavic", r"scan ?eagle", r"loitering munitions?",
    # Words that are also names, acronyms or common nouns count only in a drone's company: the
    # "UAS" cooperative, the "Grim Reapers" gang, a man called Dji, "la matrice des risques",
    # hyenas "and other predators".  "a UAS", "US Reapers", "Matrice 30T", "DJI Mavic" still count.
    r"(?:an?|one|two|three|\d+|several|armed|small|military|its|their|un|une|des|deux) (?:uas|rpas|ucavs?)",
    r"(?:us|american|french|americains?|francais) (?:reapers?|predators?)", r"matrice[- ]?\d+\w*",
    # Akinci is also a Turkish surname ("engineer Mehmet Akinci"): a platform only after an article,
    # a number or a drone word, or before one.
    r"(?:an?|the|one|two|\d+|its|their|turkish|bayraktar|un|une|des|deux|les|le|l'|turcs?) akincis?",
    r"akincis? (?:drones?|uavs?|ucavs?|strikes?)",
]
#: The bare words inside those company-only terms: the cheap candidate test looks for these.
AMBIGUOUS_DRONE_WORDS: list[str] = [r"uas", r"rpas", r"ucav", r"reaper", r"predator", r"matrice", r"akinci"]
DRONE_TERMS_FR: list[str] = [
    r"quadricopteres?", r"aeronefs? sans pilote", r"aeronefs? telepilotes?", r"appareils? telepilotes?",
    r"avions? sans pilote", r"drones? kamikazes?", r"(?:appareil|engin|aeronef)s? teleguides?",
    r"munitions? rodeuses?",
]

#: Phrases containing a drone word that are not evidence of a drone in this event; blanked first.
NOT_EVIDENCE_EN: list[str] = [
    r"air ?/ ?drone",                                    # ACLED's category name quoted in notes
    r"(?:anti|counter)[- ]?(?:drones?|uavs?|uas)",       # counter-drone kit, not a drone
    r"c-uas",
    r"drone (?:jammers?|detectors?|detection|defen[cs]es?|hangars?|bases?|airbases?|facility|"
    r"facilities|factory|factories|industry|programmes?|programs?|pilots?\b|piloting|operators?|parts|"
    r"components|acquisitions?|purchases?|deliver\w*|fleet|squadron|unit)",
    r"(?:nicknamed|known (?:locally )?as|alias|called|(?:the |a )?nickname) ['\"]? ?drone",
    # a sound like a drone's is not a drone: "a noise like that of a drone was heard"
    r"\b(?:noise|sound|buzz\w*|hum)s? (?:like|similar to|resembling)[^.;]{0,30}?drones?",
    # hobby and schooling: "a drone racing club", "a simulator course on drone operation"
    r"drone (?:racing|racers?|clubs?|enthusiasts?|hobbyists?|courses?|training|simulators?|schools?|academy)",
    r"\b(?:courses?|training|classes|lessons?|seminars?|workshops?|simulators?) (?:on|in|for|about) "
    r"(?:[a-z-]+ ){0,2}?drones?",
    # other events: "the area has seen frequent drone strikes in recent months"
    r"\b(?:recent|previous|earlier|past|frequent|repeated) drone (?:strikes?|attacks?)",
    r"drone (?:strikes?|attacks?)[^.;]{0,30}\b(?:in recent|over the (?:past|last)|earlier this|in previous) "
    r"(?:days|weeks|months|years?)",
    # places named Drone ("the hamlet of Drone", "hameau de Drone")
    r"\b(?:village|hamlet|town|locality|hameau|localite|quartier) (?:of |de |d')?drone\b",
    # parts and kit for drones are not a drone: "seized batteries and propellers for drones"
    r"(?:batter(?:y|ies)|propellers?|remote controls?|spare parts|motors?|cameras?|chargers?)"
    r"[^.;]{0,40}? for (?:a |the )?drones?",
    # a sound: "the drone of jet engines"
    r"\bdrone of (?:the |its |their )?(?:[a-z-]+ ){0,2}(?:engines?|motors?|generators?)",
    # threats are not use: "JNIM threatened to use drones"
    r"\b(?:threaten\w*|vow\w*) to (?:use|deploy|fly|launch)[^.;]{0,30}?drones?",
    # goods in a shop: leisure and toy drones
    r"\b(?:toy|hobby|recreational|leisure) drones?",
    # an organisation's acronym that spells a drone word: "Front Patriotique de Vigilance (FPV)"
    r"\b(?:front|mouvement|movement|union|parti|party|groupe?|comite|committee|coalition|force|brigade)\b"
    r"[^().;]{0,60}\((?:fpv|uas|uav|rpas)\)",
    # a building's or a room's code: "le bloc TB2 du lycee"
    r"\b(?:bloc|block|building|batiment|salle|room|ward|pavillon|immeuble|wing) (?:tb2|fpv|uav)\b",
    r"no (?:drone )?strikes?",                           # "unarmed overwatch, no drone strike"
    r"no armed drones?",                                 # a capability not there, not a strike
    # trades around drones are not a drone in flight ("a technician who repaired drones")
    r"(?:repair\w*|sell\w*|sold|build\w*|built|manufactur\w*|assembl\w*) (?:civilian |commercial |small )?drones?",
    # where drones are made, kept or carried: a jet bombing a "drone workshop" flies no drone
    r"drone (?:workshops?|launch(?:ing)? (?:sites?|pads?|points?)|launchers?|depots?|warehouses?|stores?|"
    r"stockpiles?|caches?|assembly|storage|sites?)\b",
    r"(?:workshops?|warehouses?|depots?|stores?|sites?|caches?|stockpiles?|hangars?|buildings?|trucks?|"
    r"vehicles?|lorr(?:y|ies)) "
    r"(?:where|storing|containing|holding|carrying|transporting|used to (?:store|build|assemble))"
    r"[^.;]{0,30}?drones?(?: (?:were|was) (?:assembled|stored|kept|built|made|hidden))?",
    # drones promised or announced for later are not flying in this event
    r"\b(?:would|will|shall|promis\w*|pledg\w*|vow\w*|plans? to|planned to|intends? to|is to|are to)\b"
    r"[^.;]{0,50}?\bdrones?\b(?: support)?",
    r"\bdrones?\b(?: support)?[^.;]{0,40}?\b(?:would|will) (?:soon |also |now |no longer |not )?(?:be|support|arrive|join|help)\b",
]
NOT_EVIDENCE_FR: list[str] = [
    r"anti-? ?drones?",
    r"brouilleurs?(?: de| anti-?)? drones?",
    r"(?:base|hangar|usine|pilotes?|formation|atelier|entrepot|depot|stock|cache|site)s? "
    r"(?:d'assemblage |de fabrication |de stockage |de lancement )?(?:de|a|des|aux|d') drones?",
    r"\b(?:seraient|seront|sera|serait|vont|devraient|devront|promis|promet\w*|prochaine?s?|futurs?|futures?|"
    r"envisag\w*|prevoi\w*|prevu\w*)\b[^.;]{0,50}?\bdrones?\b",
    r"\bdrones?\b[^.;]{0,30}?\b(?:seraient|seront|sera|serait|vont|devraient|devront)\b",
    r"(?:surnomme|dit|surnom(?: de)?) ['\"]? ?drone",
    r"\b(?:bruit|son|vrombissement|bourdonnement)s? (?:semblable|similaire|pareil|comparable)s? a[^.;]{0,30}?drones?",
    r"\b(?:clubs?|cours|stages?|seminaires?|simulateurs?|ecoles?) (?:de |d'|sur (?:le |les )?)"
    r"(?:pilotage (?:de |des |d')?)?drones?",
    # an earlier operation recalled: "en janvier, l'armee avait mene des frappes de drones"
    r"\b(?:en (?:janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre)|"
    r"le mois dernier|l'an dernier|l'annee derniere|auparavant|precedemment|ces derniers mois),? "
    r"[^.;]{0,40}?\b(?:avait|avaient) [^.;]{0,40}?drones?",
    r"\bdrones?\b[^.;]{0,30}?\b(?:ces derniers (?:jours|mois)|au cours des derniers mois)",
    r"\b(?:prochainement|bientot)\b[^.;]{0,30}?\bdrones?\b|\bdrones?\b[^.;]{0,20}?\b(?:prochainement|bientot)\b",
    r"(?:menace|menacent|menacait|menaces?) (?:de |d')(?:utiliser|deployer|employer|lancer)[^.;]{0,30}?drones?",
    r"pilotage (?:de |des |d')(?:[a-z]+ )?drones?",
    r"drones? (?:de loisirs?|jouets?)",
    r"(?:hangar|entrepot|atelier|depot|batiment|camion|vehicule|pick-up|voiture)s? (?:abritant|contenant|stockant|ou etaient|"
    r"transportant|chargee?s? de|ou (?:[a-z'-]+ ){0,3}?(?:stockai\w*|gardai\w*|cachai\w*|entreposai\w*|assemblai\w*|"
    r"fabriquai\w*))[^.;]{0,30}?drones?",
]
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre")
#: An event's date, removed with its article: ACLED notes date every event, and French puts the date
#: between a verb and its object ("ont abattu le 10 fevrier 2025 deux drones"), where it would keep
#: the verb from reaching the drone.
EVENT_DATE = (rf"\b(?:on |le |du |the night of |dans la nuit du )?(?:\d{{1,2}}(?:er|st|nd|rd|th)? (?:{_MONTHS})"
              rf"(?: \d{{4}})?|(?:{_MONTHS}) \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}),? ?")
#: Checked on the original (case-sensitive) notes: "Drone Hotel", "Drone Camp" are names.
NAME_PATTERN = r"\bDrone [A-Z][a-z]+"

#: Statements that the event did NOT involve a drone, or that drone use is unconfirmed.
NEGATION_EN: list[str] = [
    r"no drones?(?: use)? (?:was |were |had been |has been )?(?:used|involved|employed|deployed|reported|seen|engaged|observed|found)",
    r"without (?:the )?(?:use of |using )?(?:any )?drones?",
    r"(?:did|does|do|has|have|had) not (?:use|used|involve|involved|deploy|deployed|employ|employed|conduct|"
    r"conducted|carry out|carried out|launch|launched|fly|flown) (?:any )?drones?",
    r"no (?:mention|sign|evidence|trace|report)s? of (?:a |any )?drones?",
    r"not (?:carried out |conducted |launched |fired )?(?:by|from|with) (?:a |any )?drones?",
    r"not (?:a |any )?drones?\b",
    r"drones?[^.;]{0,40}(?:could not be|cannot be|was not|were not|has not been|have not been) (?:confirmed|verified)",
    r"suspected but (?:not |un)confirmed",
    # suspected or reported-as-likely use is not a documented drone event
    r"drones? (?:use|usage|surveillance|involvement)[^.;]{0,30}\b(?:suspected|unconfirmed|not confirmed)",
    r"no drones?(?: use)?[^.;]{0,30}\b(?:reported|recorded|observed)",
    r"drones?\b[^.;]{0,50}\b(?:is|was|are|were|remains?) (?:suspected|unconfirmed|not confirmed)",
    r"whether [^.;]{0,40}drones?",
    r"(?:aircraft|jets?|planes?) or (?:a )?drones?",
    # "the insurgents used no drones", "no drone appears in the footage"
    r"\b(?:used|uses|use|using|deployed|flew|had) no drones?",
    r"no drones? (?:appears?|appeared|is (?:seen|visible)|was (?:seen|visible)|can be seen)",
    # a rumour denied is no drone: "officials denied rumours of drones over Niamey"
    r"\b(?:denied|dismissed|refuted) (?:the )?rumou?rs?[^.;]{0,60}drones?",
    r"drones? (?:had|have|has) not (?:yet )?been (?:used|flown|deployed)",
    # a guess, not a sighting: "an unidentified aircraft, possibly a drone"
    r"\b(?:possibly|perhaps|maybe|probably) (?:a |an )?drones?",
    # a sighting explained away: "turned out to be a bird", "early reports suspected a drone, but"
    r"(?:turned out|proved|was found|were found) to (?:be|have been) (?:a |an |only |just )?(?:[a-z-]+ )?"
    r"(?:birds?|balloons?|kites?|planes?|aircraft|helicopters?|stars?|satellites?|mortars?|rockets?|shells?|"
    r"rounds|grenades?|mines?|ieds?)",
    r"\bfalse alarm",
    r"(?:suspected|feared|thought|believed|reported) (?:a |an )?drones?(?: strike| attack)?[^.;]{0,20}, but",
    # the note calls its own report unconfirmed: "This could not be confirmed."
    r"(?:^|[.;] |, but )(?:this|the information|the reports?|these reports|the incident) (?:could not|cannot|has not|"
    r"have not|was not|were not) (?:yet )?(?:be |been )?(?:independently )?(?:confirmed|verified)",
]
NEGATION_FR: list[str] = [
    r"aucun drone",
    r"aucune (?:mention|trace|preuve) (?:de |d'un |d'une )?drones?",
    r"sans (?:l'utilisation de |l'usage de |recours a des |recours aux )?drones?",
    r"pas de drones?",
    r"non (?:pas )?(?:d'un |un |des |de )?drones?",
    r"drones?[^.;]{0,40}(?:n'a pas pu etre|n'a pas ete|n'ont pas ete|n'ont pas pu etre) (?:confirme|verifie|etabli)",
    r"(?:avion|aeronef|appareil)s? ou (?:d'un |des |de |un )?drones?",
    r"\b(?:dementi\w*|dement\w*) (?:la |les )?rumeurs?[^.;]{0,60}drones?",
    r"drones? (?:n'avai\w*|n'ont|n'a) pas (?:encore )?(?:ete (?:utilises?|employes?|deployes?)|servi)",
    r"\b(?:peut-etre|probablement|sans doute) (?:un |des )?drones?",
    r"s'(?:est|sont) (?:avere|revele)e?s? (?:etre |n'etre qu')?(?:un |une |des )?(?:[a-z-]+ )?(?:oiseaux?|ballons?|"
    r"cerfs?-volants?|avions?|helicopteres?|etoiles?|satellites?|obus|roquettes?|mortiers?|grenades?|mines?)",
    r"\bfausses? alertes?",
    r"drones?[^.;]{0,40}\bsans confirmation",
    r"(?:^|[.;] |, mais )(?:cela|ceci|l'information|cette information|ces informations|l'incident) "
    r"(?:n'a pas pu|n'ont pas pu|n'a pas|n'ont pas|ne peut|ne pouvait) (?:encore )?(?:etre |ete )?(?:confirme|verifie)",
]

#: Strategic developments about buying, receiving, showing or discussing drones (no flight).
ACQUISITION_OR_STATEMENT: list[str] = [
    r"acqui\w*", r"purchas\w*", r"bought", r"\bbuy", r"\border\w*", r"deliver\w*", r"receiv\w*",
    r"donat\w*", r"handed over", r"hand over", r"handover", r"ceremon\w*", r"unveil\w*", r"parade\w*",
    r"display\w*", r"exhibit\w*", r"showcas\w*", r"training", r"inaugur\w*", r"factory", r"agreement", r"contract",
    r"statement", r"condemn\w*", r"denounc\w*", r"called (?:on|for)", r"urged", r"denie[sd]", r"deny\w*",
    r"ban(?:s|ned|ning)?", r"decree\w*", r"prohibit\w*", r"threat\w*",
    r"achat", r"achet\w*", r"livr\w*", r"receptionn\w*", r"recu", r"remis\w*", r"defil\w*",
    r"present\w*", r"accord", r"formation", r"condamn\w*", r"denonc\w*", r"reclam\w*", r"dementi\w*",
    r"interdi\w*", r"menac\w*",
]
#: Verbs that show a drone actually flew; they override the acquisition/statement frame.
OPERATIONAL_VERBS: list[str] = [
    r"struck", r"hit", r"dropped", r"bombed", r"killed", r"shot down", r"downed", r"crashed",
    r"overfl\w+", r"flew over", r"flying over", r"hover\w*", r"spotted", r"seen", r"observed",
    r"intercepted", r"jammed", r"circling", r"neutrali[sz]ed", r"seized", r"confiscated", r"captured",
    r"survol\w*", r"abattu\w*", r"ecrase", r"largu\w*", r"a frappe", r"ont frappe", r"tue", r"intercepte",
    r"neutralise", r"brouille", r"saisi\w*", r"confisqu\w*",
]

_DRONE_NOUN = (
    r"(?:drones?|uavs?|quadcopters?|quadrotors?|quadricopteres?|tb2s?|bayraktars?|akincis?|reapers?|mavic|"
    r"aeronefs? sans pilote|(?:appareil|engin)s? teleguides?)"
)
_DET_EN = r"(?:a |an |the |one |two |three |four |\d+ |several |its |their |his )?"
_DET_FR = r"(?:un |une |le |la |les |l'|des |deux |trois |\d+ |plusieurs |leur |son )?"

#: The drone is the object of a downing or capture.  Runs on text where the prepositions
#: "with/by/using/par/avec" are replaced by "|" so "destroyed two pick-ups with a drone" cannot match.
INTERCEPT_ACTIVE_EN: list[str] = [
    r"(?:shot|shut|brought|forced|took|taken|shooting|shutting|bringing) down " + _DET_EN + r"(?:[a-z0-9'-]+ ){0,4}" + _DRONE_NOUN,
    r"(?:downed|intercepted|jammed|captured|capturing|seized|seizing|confiscat\w+|recovered|recovering|"
    r"neutrali[sz]ed|destroyed|found) " + _DET_EN + r"(?:[a-z0-9'()-]+ ){0,4}" + _DRONE_NOUN,
]
#: The drone is the subject of a passive downing or of a crash; "it was shot down" follows a drone.
INTERCEPT_PASSIVE_EN: list[str] = [
    _DRONE_NOUN + r"[^.;]{0,60}(?:was|were|been|being) (?:[a-z]+ )?(?:shot down|shut down|downed|brought down|"
    r"forced down|intercepted|jammed|captured|seized|confiscated|neutrali[sz]ed|destroyed|recovered)",
    _DRONE_NOUN + r"[^.;]*\b(?:crashed|crash-landed|came down|went down|emergency landing|fell)",
    r"crashed " + _DRONE_NOUN, r"wreckage of [^.;]{0,25}" + _DRONE_NOUN,
    r"\b(?:it|they) (?:was|were) (?:later |then |quickly )?(?:shot down|downed|brought down|intercepted|jammed)",
    r"\b(?:shot|brought|took|forced) (?:it|them) down\b",
    _DRONE_NOUN + r"[^.;]{0,20}\b(?:left behind|abandoned)",
    _DRONE_NOUN + r"[^.;]{0,40}(?:was|were) lost",
    # the drone named again: "arrested a man flying a drone and confiscated the device"
    r"\b(?:confiscat\w+|seized|captured|recovered) (?:the|his|their|its) (?:device|aircraft|craft)\b",
    r"\b(?:confisque|saisi|recupere|capture)e? (?:l'appareil|l'engin|l'aeronef)",
    # a drone taken at an arrest: "arrested a JNIM member together with his Mavic"
    r"\b(?:arrested|detained|apprehended) [^.;]{0,60}(?:together with|along with) (?:the |his |their |a |an )?"
    r"(?:[a-z-]+ ){0,2}" + _DRONE_NOUN,
    r"\b(?:arrete|interpelle|apprehende)\w* [^.;]{0,60}(?:ainsi que|avec) (?:son |sa |leur |le |la |un |une )"
    r"(?:[a-z-]+ ){0,2}" + _DRONE_NOUN,
]
INTERCEPT_ACTIVE_FR: list[str] = [
    r"(?:abattu|abattus|abattre|abattant|neutralise|neutraliser|intercepte|intercepter|detruit|detruire|"
    r"recupere|recuperer|saisi|saisir|brouille|brouiller|capture|capturer|confisque|confisquer|descendu|"
    r"fait tomber|fait chuter)s? " + _DET_FR + r"(?:[a-z0-9'()-]+ ){0,3}" + _DRONE_NOUN,
    r"s'empar\w* [^.;]{0,30}" + _DRONE_NOUN,
]
INTERCEPT_PASSIVE_FR: list[str] = [
    _DRONE_NOUN + r"[^.;]*\b(?:a|ont|avait|avaient|aurait|auraient) ete (?:abattu|neutralise|"
    r"intercepte|detruit|recupere|saisi|brouille|capture|confisque|descendu|mis hors (?:d'usage|de combat|d'etat))",
    _DRONE_NOUN + r"[^.;]{0,60}(?:s'est|se sont|s'etait|s'etaient) (?:ecrase|abime)",
    _DRONE_NOUN + r" (?:[a-z]+ )?(?:abattus?|ecrases?|neutralises?|interceptes?|tombes?)\b",
    r"\b(?:il|ils|elle|l'appareil|l'engin) (?:a|ont) ete (?:abattus?|interceptes?|brouilles?|detruits?|neutralises?)",
    r"\bchute d(?:'un|'une|u|e|es) [^.;]{0,20}" + _DRONE_NOUN,
    _DRONE_NOUN + r"[^.;]{0,40}(?:a|ont) ete perdus?",
    _DRONE_NOUN + r"[^.;]{0,20}\b(?:abandonnee?s?|laissee?s? sur place)\b",
]

#: A drone that downs an aircraft is striking, not being intercepted.
DRONE_DOWNS_AIRCRAFT: list[str] = [
    _DRONE_NOUN + r"[^.;]{0,20}\b(?:to )?(?:down|downs|downed|shot down|shoots down|abat|abattu) "
    r"(?:a |an |the |un |une )?(?:[a-z-]+ ){0,3}(?:helicopters?|aircraft|planes?|jets?|helicopteres?|avions?)",
    # the drone itself is the shooter, named right after "by": "shot down by a Turkish-made drone"
    r"(?:shot|brought) down by (?:a |an |the )?(?:[a-z-]+ ){0,2}" + _DRONE_NOUN,
    r"abattu par (?:un |une |le |les |des |l')(?:[a-z-]+ )?" + _DRONE_NOUN,
]

#: Explicit evidence that the drone delivered a weapon.
STRIKE_EN: list[str] = [
    r"drone[- ]?strikes?", r"drone attacks?", r"drone[- ]borne", r"\barmed drones?", r"attack drones?",
    r"kamikaze", r"suicide drones?", r"fpv",
    r"(?:fired|shot|opened fire)[^.;]{0,30} from (?:a |an |the )?(?:[a-z-]+ ){0,2}" + _DRONE_NOUN,
    r"(?:drop|dropped|dropping|drops) [^.;]{0,40}(?:explosive|bomb|grenade|charge|munition|ied|mortar|shell)",
    r"(?:explosive|bomb|grenade|charge|munition)s? [^.;]{0,30}dropped",
    _DRONE_NOUN + r"[^.;,]{0,40}\b(?:struck|strike|strikes|hit|hits|bombed|fired (?:a |on |missiles)|killed|"
    r"killing|exploded)\b",
    r"(?:struck|hit|bombed|attacked|targeted|strikes?|killed) [^.;]{0,40}(?:with|using|by) "
    r"(?:a |an |several |two |\d+ )?(?:[a-z-]+ ){0,2}" + _DRONE_NOUN,
    r"(?:use|used|uses|using|deployed|launched) [^.;]{0,30}" + _DRONE_NOUN + r"[^.;]{0,15} to (?:attack|strike|hit|target|bomb|drop)",
    _DRONE_NOUN + r" (?:carrying|packed with|loaded with|laden with) (?:explosive|bomb)",
    r"(?:grenade|explosive|bomb|charge|missile|munition|rocket)s? (?:[a-z-]+ ){0,2}(?:fell|fired|launched|dropped|released) "
    r"from (?:a |an |the )?(?:[a-z-]+ ){0,2}" + _DRONE_NOUN,
]
STRIKE_FR: list[str] = [
    r"frappes? (?:de |par |d'un |du |des |aux )?drones?", r"attaques? (?:de |au |aux |par )drones?",
    r"drones? (?:kamikazes?|armes?|d'attaque|suicides?)", r"largu\w*",
    _DRONE_NOUN + r"[^.;]{0,40}(?:(?:ont|a|avait|avaient|aurait|auraient) (?:[a-z]+ )?(?:frappe|touche|bombarde|tue)|"
    r"frappant|bombarde|"
    r"a explose|explose)",
    r"(?:frapp|touch|bombard)\w* [^.;]{0,40}(?:avec|par|a l'aide d'|au moyen d') ?(?:un |des )?" + _DRONE_NOUN,
    r"(?:tire\w*|ouvert le feu|fait feu)[^.;]{0,30} (?:depuis|a partir d'|a bord d') (?:un |une |le |des |l')?"
    r"(?:[a-z-]+ ){0,2}" + _DRONE_NOUN,
    r"(?:utilise|utilisant|utiliser|employe|lance)\w* [^.;]{0,30}" + _DRONE_NOUN + r"[^.;]{0,15} pour (?:frapper|attaquer|larguer|bombarder)",
]

#: A drone watching over someone: "escorted by a drone", "under drone air cover", "sous la
#: couverture d'un drone"; the one watched over flies it.
_WATCHED_OVER = (
    r"(?:(?:escorted|covered|accompanied|guided|protected) by (?:a |an |the )?(?:[a-z-]+ ){0,2}" + _DRONE_NOUN
    + r"|under (?:the )?(?:air cover|cover|watch|surveillance|protection) of (?:a |an |the )?(?:[a-z-]+ ){0,2}"
    + _DRONE_NOUN + r"|under " + _DRONE_NOUN + r" (?:air cover|cover|surveillance|watch|overwatch|protection)"
    r"|sous (?:la )?(?:couverture|surveillance|protection)(?: aerienne)? (?:d'un |d'une |de |des |du )"
    r"(?:[a-z-]+ ){0,2}" + _DRONE_NOUN + r")"
)
#: Strike cues that name no drone ("an IED", "an explosive-laden vehicle", "engin explosif"): in a note
#: whose drone watched, they are another party's weapon, so they count only after the ISR cues.
STRIKE_UNTIED: list[str] = [r"explosive[- ]laden", r"precision strike", r"(?:charges?|engins?) explosi\w*"]
#: A drone watching over, escorting or guiding someone else's fire.  These phrases are consumed
#: before the strike cues run, so "a convoy escorted by a drone hit an IED" or "a drone guided the
#: artillery that struck" is not read as the drone striking.
ISR_BOUND: list[str] = [
    _WATCHED_OVER,
    r"(?:monitored|watched|filmed|spotted|detected|located|observed|tracked) by (?:a |an |the |two |several )?"
    r"(?:[a-z-]+ ){0,2}" + _DRONE_NOUN,
    _DRONE_NOUN + r" (?:[a-z-]+ ){0,2}?(?:guided|guiding|directed|directing|adjusted|adjusting|escorted|escorting|"
    r"accompan\w+|provided (?:air )?cover|providing (?:air )?cover|guidait|guidaient|guidant|dirigeait|dirigeaient|"
    r"reglait|ajustait|escortait|escortaient)",
]
#: Clause openers after which the subject changes ("a drone overflew Kidal while FLA fighters struck").
_CLAUSE_BREAK = (r"\b(?:while|whereas|before|after|as|when|pendant que|pendant qu|avant que|avant qu|"
                 r"alors que|tandis que|quand|lorsque|lorsqu)\b")

#: Watching, filming, guiding fire: intelligence, surveillance and reconnaissance.
ISR_EN: list[str] = [
    r"surveil\w*", r"reconnaissance", r"recon\b", r"\bisr\b", r"observ\w*", r"spott\w*", r"sighted",
    r"film\w*", r"footage", r"track\w*", r"watch\w*", r"monitor\w*", r"guide\w*", r"adjust fire",
    r"scout\w*", r"circling", r"hover\w*", r"overfl\w*", r"flew over", r"flying over", r"fly over",
    r"locate\w*", r"detect\w*", r"survey\w*", r"overwatch", r"air cover",
]
ISR_FR: list[str] = [
    r"survol\w*", r"repera\w*", r"reperer", r"repere", r"observ\w*", r"surveill\w*", r"filme\w*",
    r"regler les tirs", r"localiser", r"espionn\w*", r"renseignement", r"au-dessus", r"couverture aerienne",
]

#: Armed-forces words (state) and armed-group words (non-state), EN and FR.
STATE_ACTORS: list[str] = [
    r"military forces", r"armed forces", r"security forces", r"defen[cs]e forces", r"forces armees",
    r"air forces?", r"armee de l'air", r"armee", r"army", r"military", r"militaires?", r"soldiers?",
    r"soldats?", r"troops", r"fama", r"fds", r"fan", r"faso", r"naf", r"gendarm\w*", r"government",
    r"gouvernement", r"junta", r"etat-major", r"state", r"wagner", r"africa corps", r"afrika korps",
    r"barkhane", r"us", r"american", r"french", r"russian", r"malian", r"burkinabe", r"nigerien",
    r"nigerian", r"togolese", r"beninese", r"chadian", r"maliennes?", r"nigeriennes?", r"nigerianes?",
    r"togolaises?", r"beninoises?", r"tchadiennes?", r"francais(?:es?)?", r"russes?", r"americaine?s?",
    r"vdp",
    # owners named by alliance: only states fly drones as "Western", "MNJTF" or AES drones
    r"western", r"occidental\w*", r"mnjtf", r"multinational joint task force", r"aes",
    r"alliance des etats du sahel", r"alliance of sahel states", r"maliens?", r"tchadiens?",
    r"allied", r"allies", r"european", r"europeens?", r"europeennes?", r"force unifiee", r"unified force",
    r"joint force", r"forces",
]
NONSTATE_ACTORS: list[str] = [
    r"jnim", r"gsim", r"jihadists?", r"jihadistes?", r"djihadistes?", r"terrorists?", r"terroristes?", r"militants?",
    r"insurgents?", r"insurges", r"rebels?", r"rebelles?", r"iswap", r"is sahel", r"islamic state",
    r"etat islamique", r"eigs", r"isgs", r"issp", r"boko haram", r"jas", r"fla", r"csp(?:-dpa)?",
    r"armed groups?", r"armed men", r"groupes? armes?", r"hommes armes", r"assailants?",
    r"assaillants?", r"enemy", r"ennemis?", r"combattants?", r"katiba", r"aqim", r"aqmi", r"gunmen",
    r"ansarul islam", r"ei sahel", r"eis", r"fighters",
]
#: Targets named with a state word ("military post", "camp de l'armée") are not actors.
TARGET_EN = (
    r"(?:(?:malian|burkinabe|nigerien|nigerian|togolese|beninese|chadian|joint) )?"
    r"(?:military|army|gendarmerie|fama|fds|soldiers'?|troops'?) (?:supply )?(?:posts?|bases?|camps?|"
    r"positions?|outposts?|detachments?|convoys?|patrols?|vehicles?|pick-ups?|trucks?|trenches?|"
    r"checkpoints?|barracks|compound|helicopters?|aircraft|jets?)"
)
TARGET_FR = (
    r"(?:poste|camp|base|position|avant-poste|convoi|patrouille|vehicule|pick-up|blinde|camion|caserne|"
    r"detachement|helicoptere)s? (?:militaires?|de l'armee|des fama|des fds|de la gendarmerie)"
    r"(?: (?:malienne|burkinabe|nigerienne|nigeriane|togolaise|beninoise|tchadienne))?"
)
_ANY_ACTOR = r"\b(?:" + "|".join(STATE_ACTORS + NONSTATE_ACTORS) + r")\b"
_HARMED = (r"(?:killed|wounded|injured|hit|targeted|attacked|struck|bombed|neutrali[sz]ed|tue\w*|blesse\w*|"
           r"neutralise\w*|vise\w*|frappe\w*|touche\w*|bombarde\w*|cible\w*)")
#: Parties named in a note that did not fly its drone: the ones it hit, the ones who only speak of
#: it, and sources.  Blanked before the actor-in-clause rules look for who flew it.
NOT_THE_OPERATOR: list[str] = [
    # victims: "JNIM militants were killed when a drone struck", "ISWAP militants targeted by a
    # drone strike", "des terroristes du JNIM ont ete neutralises par une frappe de drone"
    _ANY_ACTOR + r"[^.;]*?\b(?:(?:was|were|had been|have been|has been|being|reported being|a ete|"
    r"ont ete|avaient ete|sont|est) (?:[a-z]+ )?" + _HARMED + r"|(?:targeted|hit|struck|killed|wounded|bombed) by)\b",
    # objects of an attack: "neutralised several terrorists", "killing 12 militants"
    r"\b(?:killed|killing|kill|kills|struck|striking|strikes|hit|hitting|hits|targeted|targeting|targets|bombed|"
    r"bombing|neutrali[sz]\w*|wounded|wounding|injured|injuring|tue|tuant|tues|tuer|frapp\w*|vise|visant|"
    r"visaient|visait|bombard\w*|cibl\w*|bless\w*) (?:[a-z0-9'-]+ ){0,3}?" + _ANY_ACTOR,
    # speakers of a drone they did not fly: "FLA fighters said a drone had bombed their base"
    _ANY_ACTOR + r" (?:[a-z'-]+ ){0,2}?(?:said|says|reported|stated|told|affirm\w*|indiqu\w*|declar\w*|"
    r"rapport\w*) (?:that |qu'|que )?(?:a|an|the|un|une|des|le|la|les|l')\b",
    # targets after "against": "launched kamikaze drones against the soldiers"
    r"\b(?:against|contre) (?:the |les |des |la |le |l')?" + _ANY_ACTOR,
    # sources: "according to the army,", "selon l'armee,"
    r"\b(?:according to|selon|d'apres) [^,.;]*,",
]
#: Verbs whose subject flew the drone: "JNIM militants dropped explosives from a drone".
FLEW_VERBS: list[str] = [
    r"dropped", r"released", r"launched", r"flew", r"flown", r"piloted", r"operated", r"used", r"deployed",
    r"sent", r"fired", r"largu\w*", r"lache\w*", r"lance\w*", r"tire\w*", r"utilis\w*", r"deploy\w*",
    r"employ\w*", r"envoy\w*",
]

#: Reported speech: the actor after "said/affirme" is the one that acted.
REPORT_VERBS: list[str] = [
    r"said", r"says", r"reported", r"claimed", r"announced", r"stated", r"added", r"affirm\w*",
    r"indique", r"annonce", r"declare", r"selon", r"revendique", r"signale", r"rapporte",
]
#: Drone modifiers allowed between an actor and the drone noun ("JNIM surveillance drone").
_DRONE_MOD = (
    r"(?:armed|surveillance|kamikaze|fpv|attack|reconnaissance|small|commercial|modified|suicide|combat|"
    r"military|air force|reaper|tb2|akinci|mq-9) "
)
_DRONE_MOD_FR = (
    r"(?:kamikazes?|fpv|armes?|militaires?|de surveillance|de reconnaissance|d'attaque|de combat|"
    r"turcs?|a voilure fixe|charge d'explosifs|tb2|akinci|mavic|matrice|de fabrication [a-z]+) "
)
#: A doubt about who flew it, not about the drone: "un drone dont l'origine n'a pas ete etablie" is a
#: drone of unknown origin, so this phrase lifts the "not confirmed" veto of NEGATION_FR/EN.
ORIGIN_UNSTATED = (
    r"(?:origin|origine|provenance|owner|ownership|operator|proprietaire|operateur|appartenance)s?[^.;]{0,15}"
    r"(?:could not be|cannot be|"
    r"was not|has not been|n'a pas pu etre|n'a pas ete|n'ont pas ete) (?:confirm|verifi|establish|etabli|determin)"
)
#: Who flew it: unknown when the note says so.
UNKNOWN_OPERATOR: list[str] = [
    # "an unidentified (aerial) drone", but not "unknown assailants used a drone": they are armed men
    r"(?:unidentified|unknown|unattributed|unclaimed) (?:(?:aerial|small|armed|flying|surveillance|kamikaze|"
    r"fpv|attack|military|foreign) ){0,2}" + _DRONE_NOUN,
    _DRONE_NOUN + r"[^.;]{0,30}(?:(?:of|from) (?:an? )?(?:unknown|unidentified|undetermined|unclear) "
    r"(?:origin|provenance|ownership|source|owner|operator)|"
    r"non identifies?|non revendiques?|d'origine (?:inconnue|indeterminee)|de provenance (?:inconnue|indeterminee))",
    r"(?:operator|operateur|owner|proprietaire)s?[^.;]{0,25}(?:unknown|not (?:be |been )?identified|n'a pas ete identifie|"
    r"n'est pas connu|non identifie|inconnu)",
    r"(?:origin|origine|provenance)[^.;]{0,25}(?:could not be determined|unknown|not (?:been )?determined|inconnue|"
    r"indeterminee|n'a pas pu etre determinee)",
    ORIGIN_UNSTATED,
    r"aeronef non identifie",
    # nobody knows or claims who flew it: "it was unclear who operated it", "on ignore qui pilotait"
    r"(?:unclear|not clear|not known|unknown) who (?:operated|flew|launched|owned|piloted|sent)",
    r"(?:on ignore|on ne sait pas|il n'etait pas clair|il n'est pas clair|nul ne sait) qui",
    r"\b(?:neither|ni)\b[^.;]{0,60}\b(?:nor|ni)\b[^.;]{0,60}\b(?:claimed|revendique)",
    r"\b(?:no one|nobody|no group|no party) (?:has |had )?claimed",
]

#: Platforms, strongest first (MALE > FPV > fixed wing > quadcopter).
PLATFORM_MALE: list[str] = [
    r"bayraktar", r"tb2s?", r"akincis?", r"reapers?", r"mq-?9a?", r"mq-?1c?", r"predators?",
    r"wing ?loong", r"ch-?[45]", r"anka", r"heron", r"male drones?", r"drones? male",
]
PLATFORM_FPV: list[str] = [
    r"fpv", r"first[- ]person[- ]view", r"kamikazes?", r"suicide drones?", r"drones? suicides?",
    r"one[- ]way(?:[- ]attack)?", r"loitering munitions?", r"munitions? rodeuses?",
]
PLATFORM_FIXED_WING: list[str] = [
    r"fixed[- ]wing", r"voilure fixe", r"aile fixe", r"scan ?eagle", r"aerosonde", r"delta[- ]wing", r"orlan(?:-?10)?",
]
PLATFORM_QUADCOPTER: list[str] = [
    r"quadcopters?", r"quadrocopters?", r"quadrotors?", r"quadricopteres?", r"multi-?rotors?", r"hexacopters?",
    r"octocopters?", r"dji", r"mavic", r"matrice", r"phantom",
]

#: ACLED inter codes: 1 state forces, 8 external/other forces (foreign armies, Wagner/Africa Corps);
#: 2-4 rebels and militias.  5-7 (rioters, protesters, civilians) do not fly armed drones here.
STATE_INTER = (1, 8)
NONSTATE_INTER = (2, 3, 4)


# ---------------------------------------------------------------------------------------------
# SQL composition
# ---------------------------------------------------------------------------------------------

def _alt(patterns: Iterable[str]) -> str:
    """Join patterns into one RE2 alternation: one DFA pass instead of one per pattern."""
    return "(?:" + "|".join(patterns) + ")"


def _words(patterns: Iterable[str]) -> str:
    r"""Alternation bounded by \b so "fan" does not match "infantry" nor "dji" "Djibo"."""
    return r"\b" + _alt(patterns) + r"\b"


def _lit(pattern: str) -> str:
    """A SQL string literal holding a regex (single quotes doubled)."""
    return "'" + pattern.replace("'", "''") + "'"


def _rx(expr: str, pattern: str) -> str:
    """regexp_matches(expr, pattern) -- RE2 search, true if the pattern occurs anywhere."""
    return f"regexp_matches({expr}, {_lit(pattern)})"


def _text_sql() -> str:
    """Normalised notes: names blanked (case-sensitive), lower-case, accent-free, straight quotes,
    and non-evidence phrases blanked, so every later pattern is ASCII and lower case."""
    notes = "coalesce(notes, '')"
    # A name needs the literal "Drone ", which contains() finds far faster than an RE2 scan.
    raw = (f"CASE WHEN contains({notes}, 'Drone ') "
           f"THEN regexp_replace({notes}, {_lit(NAME_PATTERN)}, ' ', 'g') ELSE {notes} END")
    quotes = f"strip_accents(lower({raw}))"
    # Curly quotes and guillemets become straight ones.  A chain of replace() calls (a plain scan
    # each) is about four times cheaper than translate() and gives the same text, since no
    # straight quote is itself replaced.
    for curly, straight in zip("\u2018\u2019\u00b4`\u00ab\u00bb\u201c\u201d", "''''\"\"\"\""):
        quotes = f"replace({quotes}, {_lit(curly)}, {_lit(straight)})"
    undated = f"regexp_replace({quotes}, {_lit(EVENT_DATE)}, '', 'g')"
    return f"regexp_replace({undated}, {_lit(_alt(NOT_EVIDENCE_EN + NOT_EVIDENCE_FR))}, ' ', 'g')"


def _drone_sql(t: str) -> str:
    """drone: a drone term survives, not negated, not inside a no-flight frame.

    Written as a CASE because DuckDB evaluates both sides of AND/OR in a select list: here each
    regex runs only on the rows the earlier tests left undecided, and the acquisition/statement
    frame only on strategic developments.  The drone-term test stays first: DuckDB computes the
    shared normalised text once only when an unconditional test uses it (with a cheap event-type
    test first, the text was recomputed in every later branch: ~3x slower).
    """
    mention = _rx(t, _DRONE_WORD)
    negated = _rx(t, _alt(NEGATION_EN + NEGATION_FR))
    etype = "lower(coalesce(event_type, ''))"
    protest = _rx(etype, r"protest|riot")
    strategic = f"({_rx(etype, r'strategic')} OR {etype} = '')"
    frame = _rx(t, _words(ACQUISITION_OR_STATEMENT))
    operational = _rx(t, _words(OPERATIONAL_VERBS))
    return (
        "CASE"
        f" WHEN NOT {mention} THEN false"
        f" WHEN {protest} THEN false"
        f" WHEN {negated} AND NOT {_rx(t, ORIGIN_UNSTATED)} THEN false"
        f" WHEN {strategic} THEN NOT {frame} OR {operational}"
        " ELSE true END"
    )


#: Prepositions that introduce the instrument, blanked for the interception patterns ("destroyed a
#: motorbike with a drone", "detruit a l'aide d'un drone une moto").
_PREPOSITIONS = r"\b(?:with|by|using|via|par|avec|grace a|a l'aide d|au moyen d|with the help of)\b"
#: A shot that missed strikes nothing: "fired at a drone ... but did not hit it".
_MISSED = (r"\b(?:did not|didn't|failed to|could not|without) (?:hit|hitting|strike|striking|touch\w*)\b|"
           r"\bsans (?:le |la |les |l')?(?:toucher|atteindre)\b|\bn'(?:a|ont) pas (?:touche|atteint)\b")
#: How a drone was downed, between the verb and the drone: "abattu par erreur un drone".
_MANNER = r"\b(?:par erreur|par megarde|par des tirs|par balles?|by mistake|in error|by gunfire|with gunfire) "
#: "attacked the post with drones": weaker than an explicit strike cue, weaker than an ISR cue.
ATTACK_WITH_DRONES = (
    r"\b(?:attack\w*|assault\w*|raid\w*|attaqu\w*)\b[^.;]{0,60}\b(?:with|using|avec|en utilisant) "
    r"[^.;]{0,20}drones?"
)


def _role_sql(t: str) -> str:
    """drone_role, in priority order (see module docstring, step 5)."""
    t_obj = f"regexp_replace(regexp_replace({t}, {_lit(_MANNER)}, '', 'g'), {_lit(_PREPOSITIONS)}, '|', 'g')"
    # For the strike cues: the phrases where a drone only watches are consumed, and a change of
    # subject ends the clause, so "drone ... struck" cannot reach across to another party's fire.
    t_strike = f"regexp_replace({t}, {_lit(_alt(ISR_BOUND + [_CLAUSE_BREAK, _MISSED]))}, ';', 'g')"
    sub = "lower(coalesce(event_type, '') || ' ' || coalesce(sub_event_type, ''))"
    return (
        "CASE"
        f" WHEN {_rx(t, _alt(DRONE_DOWNS_AIRCRAFT))} THEN 'strike'"
        f" WHEN {_rx(t_obj, _alt(INTERCEPT_ACTIVE_EN + INTERCEPT_ACTIVE_FR))} THEN 'intercepted'"
        f" WHEN {_rx(t, _alt(INTERCEPT_PASSIVE_EN + INTERCEPT_PASSIVE_FR))} THEN 'intercepted'"
        f" WHEN {_rx(t_strike, _alt(STRIKE_EN + STRIKE_FR))} THEN 'strike'"
        f" WHEN {_rx(t, _alt([_words(ISR_EN + ISR_FR)] + ISR_BOUND))} THEN 'isr'"
        f" WHEN {_rx(t, _alt(STRIKE_UNTIED))} THEN 'strike'"
        f" WHEN {_rx(sub, r'air/drone|remote violence|explosion')} THEN 'strike'"
        f" WHEN {_rx(t, ATTACK_WITH_DRONES)} THEN 'strike'"
        " ELSE 'isr' END"
    )


def _side_sql(src: str, pattern: str) -> str:
    """'state'/'nonstate' from which capture group (1 = state words, 2 = non-state words) of the
    first match of ``pattern`` in ``src`` is filled; NULL when there is no match.

    The cheap DFA test (regexp_matches) runs first; the submatch extraction only on the few rows
    that match, and only for group 1 (no group 1 in the first match means group 2).
    """
    return (f"CASE WHEN NOT coalesce({_rx(src, pattern)}, false) THEN NULL "
            f"WHEN regexp_extract({src}, {_lit(pattern)}, 1) <> '' THEN 'state' ELSE 'nonstate' END")


def _leading_side_sql(src: str, pattern_with: Callable[[str], str]) -> str:
    """:func:`_side_sql` for a pattern that starts with the actor word and ends on ``\\b`` after a
    word character, given as ``pattern_with(actor)``; about three times cheaper where it matches.

    Asking RE2 for group 1 needs its submatch engine; the whole first match (group 0) needs only
    its DFA.  That match starts with the actor word, and its group 1 is filled exactly when the
    state-only pattern matches at its start: leftmost-first matching takes the state branch
    whenever that branch can match from the same position.  (Word boundaries read the same inside
    the match as in the full text: it starts on a word and ends on a boundary already.)
    """
    pattern = pattern_with(_ACTOR)
    first_match = f"regexp_extract({src}, {_lit(pattern)}, 0)"
    return (f"CASE WHEN NOT coalesce({_rx(src, pattern)}, false) THEN NULL "
            f"WHEN {_rx(first_match, '^' + pattern_with(_STATE_WORD))} THEN 'state' ELSE 'nonstate' END")


def _inter_sql(col: str) -> str:
    """ACLED inter code -> side; text labels from the API ('State forces') are accepted too."""
    code = f"lower(trim(CAST({col} AS VARCHAR)))"
    st = ", ".join(f"'{c}'" for c in STATE_INTER)
    ns = ", ".join(f"'{c}'" for c in NONSTATE_INTER)
    return (
        f"CASE WHEN {code} IN ({st}) OR {code} LIKE 'state forces%' OR {code} LIKE 'external%' THEN 'state'"
        f" WHEN {code} IN ({ns}) OR {code} LIKE 'rebel%' OR {code} LIKE '%militia%' THEN 'nonstate' END"
    )


#: An actor word: capture group 1 holds a state word, group 2 a non-state word.
_ACTOR = rf"\b(?:({_alt(STATE_ACTORS)})|({_alt(NONSTATE_ACTORS)}))\b"
#: A state actor word alone (see :func:`_leading_side_sql`).
_STATE_WORD = _words(STATE_ACTORS)
#: Any word that names a drone, English or French.
_DRONE_WORD = _words(DRONE_TERMS_EN + DRONE_TERMS_FR)


def _actor_before_drone(actor: str) -> str:
    """"JNIM drone", "the army's surveillance drones", "Malian army drone"."""
    return actor + rf"(?:'s)?(?: \([a-z-]+\))? (?:{_DRONE_MOD}){{0,2}}(?:drones?|uavs?|quadcopters?|aircraft)\b"


def _actor_flew(actor: str) -> str:
    """The named dropper or firer: "soldiers fired on the attackers from a drone", "les terroristes
    ont utilise des drones"; one word at most between the actor and its verb.  A pronoun may stand
    for a drone named earlier: "l'EI Sahel l'avait lance", "ISWAP had launched it"."""
    return (actor + r" (?:(?:[a-z'-]+ )?(?:(?:have|has|had|ont|a|avaient|avait) )?" + _alt(FLEW_VERBS)
            + r"\b[^.;]*?" + _DRONE_WORD
            + r"|(?:l'|les )(?:avait |avaient |a |ont )?(?:lance|largue|envoye|pilote|utilise|tire)e?s?\b"
            r"|(?:had |has |have )?(?:launched|flown|flew|sent|used|piloted|operated) (?:it|them)\b)")


def _actor_in_drone_clause(actor: str) -> str:
    """The first actor of the clause that introduces the drone: "FAMa carried out drone strikes"."""
    return actor + r"[^.;]*?" + _DRONE_WORD


def _actor_patterns() -> dict[str, str]:
    """Regexes whose capture group 1 holds a state word and group 2 a non-state word."""
    return {
        # "drones of the Malian army", "drone operated by IS Sahel", "drone du JNIM", "pilote par des"
        "after": (_DRONE_NOUN + rf"(?: {_DRONE_MOD}| {_DRONE_MOD_FR}| strikes? | attacks? | )?"
                  r"(?:of the |of |belonging to (?:the )?|operated by (?:the )?|launched by (?:the )?|"
                  r"flown by (?:the )?|controlled by (?:the )?|piloted by (?:the )?|used by (?:the )?|by the |"
                  r"by |from the |from |de l'|de la |du |des |d'|"
                  r"lances? par (?:des |les |le |la |l')?|pilotes? par (?:des |les |le |la |l')?|"
                  r"operes? par (?:des |les |le |la |l')?|abandoned by (?:the )?|left (?:behind )?by (?:the )?|"
                  r"abandonnee?s? par (?:des |les |le |la |l')?|appartenant (?:a|aux) (?:des |la |l'|les )?)" + _ACTOR),
        # "drone militaire", "drone ennemi", "un drone russe", "un drone occidental"
        "adjective": (_DRONE_NOUN + r" (?:armes? )?(?:(militaires?|occidental\w*|europeen\w*|americaine?s?|francais(?:es?)?|russes?|turcs?|"
                      r"turques?|nigeriens?|nigeriennes?|maliens?|maliennes?|burkinabes?|tchadien\w*|togolais\w*|"
                      r"beninois\w*)|(ennemis?|terroristes?|djihadistes?|jihadistes?|rebelles?))\b"),
        # "confiscated a drone from Nigerian soldiers", "confisque un drone a des combattants de l'EIGS"
        "seized_from": (r"\b(?:confiscat\w*|seiz\w*|captur\w*|recover\w*|took|taken|saisi\w*|confisqu\w*|"
                        r"recupere\w*) [^.;]*?" + _DRONE_NOUN + r"[^.;]*?\b(?:from|a|aux|chez) (?:a |an |the |des |les |la |le |l'|un |une )?"
                        + _ACTOR),
        # "a drone that JNIM militants had been flying"
        "flown_by": (_DRONE_NOUN + r" (?:that|which|qu'|que) (?:the |les |des )?" + _ACTOR
                     + r"(?: [a-z]+){0,2}? (?:had been |have been |were |was |had |avaient |ont )?(?:flying|flew|flown|"
                     r"operat\w+|launch\w*|using|used|pilot\w+|lance\w*|utilis\w*)"),
        # the party a drone watches over: "a FAMa convoy escorted by a drone", "troops advanced under
        # drone air cover"; "sous la couverture d'un drone, les FDS ont riposte"
        "escorted": _ACTOR + r" (?:[a-z'-]+ ){0,4}?" + _WATCHED_OVER,
        "escorted_after": _WATCHED_OVER + r"[^.;,]*, (?:the |les |des |la |le |l')?" + _ACTOR,
        # "it belonged to ISWAP", "attributed to JNIM", "believed to be the army"
        "attributed": (r"(?:belong\w* to|attributed (?:it |them )?to|believed to be|thought to be|said to be|"
                       r"blamed(?: (?:it|them|the (?:strike|attack)) on)?|accused|"
                       r"appartenai\w* (?:a|aux|au)|attribue\w* (?:a|aux|au)|impute\w* (?:a|aux|au)|accuse\w*) "
                       r"(?:the |l'|la |le |les |des )?" + _ACTOR),
        # who claimed the strike: "the army claimed the strike", "l'armee a revendique la frappe"
        "claimed": (_ACTOR + r" (?:[a-z'-]+ ){0,2}?(?:claimed|(?:a |ont )?revendique)\w* (?:responsibility for |"
                    r"the |la |cette |l')?(?:drone )?(?:strikes?|attacks?|frappes?|attaques?|operations?)\b"),
        # reported speech: "Nigerian troops said ISWAP militants dropped ... from drones"
        "reported": _words(REPORT_VERBS) + r"[^.;]*?" + _ACTOR + r"[^.;]*?" + _DRONE_WORD,
    }


def _operator_sql(t: str, role: str, platform: str) -> str:
    """drone_operator (module docstring, step 6), given the drone_role and drone_platform columns.

    "Intercepted" and "MALE platform" are read from those columns rather than re-tested: DuckDB
    computes each column once and reuses it here.  Every other test sits in a lazy CASE/coalesce
    branch, so on rows where an early rule answers, the later regexes never run.
    """
    p = _actor_patterns()
    t_op = f"regexp_replace({t}, {_lit(_alt([TARGET_EN, TARGET_FR] + NOT_THE_OPERATOR))}, ' target ', 'g')"
    possessive = _rx(t, r"\b(?:its|their|ses|leurs|son|sa) (?:own )?(?:[a-z-]+ )?" + _DRONE_NOUN)
    by_subject = (f"coalesce({_leading_side_sql(t_op, _actor_flew)}, {_side_sql(t_op, p['reported'])}, "
                  f"{_leading_side_sql(t_op, _actor_in_drone_clause)})")
    # Coded actors: the inter code, or failing that the actor's name ("Military Forces of Mali").
    name1, name2 = (f"strip_accents(lower(coalesce({c}, '')))" for c in ("actor1", "actor2"))
    side1 = f"coalesce({_inter_sql('inter1')}, {_side_sql(name1, _ACTOR)})"
    side2 = f"coalesce({_inter_sql('inter2')}, {_side_sql(name2, _ACTOR)})"
    # A drone fired upon ("soldiers fired on a drone overflying the runway"): the subject defends.
    fired_on = _rx(t, r"\b(?:fired|shot|opened fire) (?:on|at|upon) (?:a |an |the |two |several )?(?:[a-z-]+ ){0,2}"
                   + _DRONE_NOUN + r"|\b(?:tire|tirent|ouvert le feu) (?:sur|contre) (?:un |une |le |les |des )?"
                   + _DRONE_NOUN)
    # An intercepted drone belongs to the side that lost it (inter2), unless "its drone" says whose.
    fallback = (f"CASE WHEN ({role} = 'intercepted' OR {fired_on}) AND NOT {possessive} "
                f"THEN coalesce({side2}, 'unknown') "
                f"ELSE coalesce({by_subject}, {side1}, 'unknown') END")
    # Actor written next to the drone, or an attribution.  Most notes have none: one pass of their
    # union decides that, instead of four passes (a union matches iff one of its parts does).
    near = ("after", "adjective", "attributed", "claimed", "seized_from", "flown_by", "escorted", "escorted_after")
    beside = (f"coalesce({_leading_side_sql(t, _actor_before_drone)}, "
              + ", ".join(_side_sql(t, p[k]) for k in near) + ")")
    any_beside = _rx(t, _alt([_actor_before_drone(_ACTOR)] + [p[k] for k in near]))
    return (
        "CASE"
        f" WHEN {_rx(t, _alt(UNKNOWN_OPERATOR))} THEN 'unknown'"
        f" WHEN {platform} = 'male' THEN 'state'"
        f" ELSE coalesce(CASE WHEN {any_beside} THEN {beside} END, {fallback}) END"
    )


def _platform_sql(t: str) -> str:
    """drone_platform (module docstring, step 7)."""
    return (
        "CASE"
        f" WHEN {_rx(t, _words(PLATFORM_MALE))} THEN 'male'"
        f" WHEN {_rx(t, _words(PLATFORM_FPV))} THEN 'fpv'"
        f" WHEN {_rx(t, _words(PLATFORM_FIXED_WING))} THEN 'fixed_wing'"
        f" WHEN {_rx(t, _words(PLATFORM_QUADCOPTER))} THEN 'quadcopter'"
        " ELSE 'unknown' END"
    )


def drone_tag_sql() -> str:
    """A SQL select-list fragment:
    ``<expr> AS drone, <expr> AS drone_role, <expr> AS drone_operator, <expr> AS drone_platform``,
    reading the columns notes, event_type, sub_event_type, actor1, actor2, inter1, inter2 of the FROM
    relation.  NULL inputs are treated as empty; non-drone rows get NULL in the three detail fields.

    The normalised text is one expression repeated in every pattern; DuckDB's common-subexpression
    elimination computes it once per row, so repetition costs nothing and keeps the fragment a plain
    select list that the ingest query can splice in.  The same goes for the role and platform
    columns, which the operator rules reuse.  The detail fields sit behind ``CASE WHEN drone`` and
    each of their expensive tests appears once, inside a lazy CASE/coalesce branch: most rows of a
    real export never reach them, and a test repeated there would be either hoisted out (run on
    every row) or run twice.
    """
    t = _text_sql()
    drone = _drone_sql(t)
    role = f"CASE WHEN {drone} THEN {_role_sql(t)} END"
    platform = f"CASE WHEN {drone} THEN {_platform_sql(t)} END"
    return (
        f"coalesce({drone}, false) AS drone, "
        f"{role} AS drone_role, "
        f"CASE WHEN {drone} THEN {_operator_sql(t, role, platform)} END AS drone_operator, "
        f"{platform} AS drone_platform"
    )


#: Accented forms a drone term may carry in raw notes (French: aéronef, télépiloté, quadricoptère).
_ACCENTED = {"a": "[aàâä]", "e": "[eéèêë]", "i": "[iîï]", "o": "[oôö]", "u": "[uùûü]", "c": "[cç]"}


def drone_candidate_sql() -> str:
    """A cheap test on the raw notes, true for every row :func:`drone_tag_sql` could call a drone.

    One case-insensitive RE2 pass for any drone term, accents allowed, with no normalisation:
    blanking and word boundaries in the full rules only ever remove matches, so this is a superset
    of their first step. In an export only a small share of notes pass, and only those pay for the
    normalised text and the full rules.
    """
    # The company-only terms are searched as their bare word: a plain word scans faster than a
    # term that opens on an article, and finding "uas" is all a superset test needs.
    plain = [term for term in DRONE_TERMS_EN if not any(word in term for word in AMBIGUOUS_DRONE_WORDS)]
    terms = "".join(_ACCENTED.get(ch, ch) for ch in _alt(plain + AMBIGUOUS_DRONE_WORDS + DRONE_TERMS_FR))
    return _rx("coalesce(notes, '')", "(?i)" + terms)


def tagged_sql(relation: str) -> str:
    """Every row of ``relation`` plus the four drone columns, the full rules run on candidates only.

    Two branches of a UNION ALL rather than a CASE: DuckDB hoists the normalised text, used by many
    patterns, out of any CASE and would compute it for every row.
    """
    none = ("false AS drone, NULL::VARCHAR AS drone_role, NULL::VARCHAR AS drone_operator, "
            "NULL::VARCHAR AS drone_platform")
    candidate = drone_candidate_sql()
    return (f"SELECT *, {drone_tag_sql()} FROM {relation} WHERE {candidate} "
            f"UNION ALL SELECT *, {none} FROM {relation} WHERE NOT {candidate}")


#: Rows per batch when candidates are tagged in parallel (see :func:`tag_candidates`).
TAG_BATCH_ROWS = 4096


def tag_candidates(con: "duckdb.DuckDBPyConnection", select: str, into: str) -> None:
    """Create table ``into`` (``_pos`` plus the four drone columns) from the rows of ``select``, a
    query giving ``_pos`` and the input columns of the drone candidates.

    DuckDB runs a query over a table on one thread per row group of 122,880 rows, so the candidates
    of a million-row export (about a hundred thousand) would be tagged on one core; read straight
    from a filtered scan they come in sparse vectors, and the thousands of expressions of the rules
    pay their per-vector cost ten times over. Handed back to DuckDB as Arrow batches of
    :data:`TAG_BATCH_ROWS` they are dense and spread over every thread. The candidates live in
    Python memory while they are tagged: a few percent of an export's notes.
    """
    import pyarrow as pa

    candidates = con.sql(select).to_arrow_table()
    batches = pa.Table.from_batches(candidates.to_batches(max_chunksize=TAG_BATCH_ROWS),
                                    schema=candidates.schema)
    con.register("_drone_candidates", batches)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS "
                    f"SELECT _pos, {drone_tag_sql()} FROM _drone_candidates")
    finally:
        con.unregister("_drone_candidates")


# ---------------------------------------------------------------------------------------------
# Python entry points: thin wrappers that run the SQL above.
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DroneTag:
    """The four derived fields for one event."""

    drone: bool
    role: str | None
    operator: str | None
    platform: str | None


_CON = None
_LOCK = threading.Lock()


def _connection():
    """A private in-memory DuckDB holding the tagging SQL as a prepared statement.

    Parsing the ~100 kB fragment costs ~60 ms; preparing it once makes :func:`tag_text` cheap enough
    for tests, the CLI and the web page.  The statement still runs the very same fragment.
    """
    global _CON
    if _CON is None:
        import duckdb

        con = duckdb.connect(":memory:")
        con.execute("CREATE TABLE one_row (" + ", ".join(f"{c} VARCHAR" for c in INPUT_COLUMNS) + ")")
        con.execute(f"PREPARE sahelsim_tag_one AS SELECT {drone_tag_sql()} FROM one_row")
        _CON = con
    return _CON


def tag_text(notes: str | None, *, event_type: str | None = None, sub_event_type: str | None = None,
             actor1: str | None = None, actor2: str | None = None,
             inter1: int | str | None = None, inter2: int | str | None = None) -> DroneTag:
    """Tags one note by running :func:`drone_tag_sql` on a one-row relation in an in-memory DuckDB.

    For single notes (tests, the CLI, the web page); bulk work should use :func:`tag_many` or the
    SQL fragment directly, which run the same rules vectorised.  Thread-safe (one shared connection
    behind a lock).
    """
    params = [notes, event_type, sub_event_type, actor1, actor2,
              None if inter1 is None else str(inter1), None if inter2 is None else str(inter2)]
    for name, text in zip(INPUT_COLUMNS, params):
        if text is not None:
            utf8_text(text, field=name)
    with _LOCK:
        con = _connection()
        con.execute("DELETE FROM one_row")
        con.execute("INSERT INTO one_row VALUES (?, ?, ?, ?, ?, ?, ?)", params)
        row = con.execute("EXECUTE sahelsim_tag_one").fetchone()
    return DroneTag(bool(row[0]), row[1], row[2], row[3])


def tag_many(rows: "pyarrow.Table | pandas.DataFrame") -> "pyarrow.Table":
    """Tag a table of events (pyarrow or pandas) with the same SQL; returns the input columns plus
    drone, drone_role, drone_operator, drone_platform.  Missing input columns are treated as NULL."""
    import duckdb
    import pyarrow as pa

    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows, preserve_index=False)
    stale = [c for c in OUTPUT_COLUMNS if c in table.column_names]  # re-tagging replaces old tags
    table = table.drop_columns(stale) if stale else table
    missing = [c for c in INPUT_COLUMNS if c not in table.column_names]
    for c in missing:
        table = table.append_column(c, pa.nulls(table.num_rows, pa.string()))
    con = duckdb.connect(":memory:")
    try:
        con.register("_events", table)
        return con.sql(tagged_sql("_events")).to_arrow_table()
    finally:
        con.close()
