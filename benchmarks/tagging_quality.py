"""Quality of drone tagging on the labelled set; writes docs/tagging.md.

Runs ``drone_tag_sql()`` over ``tests/data/drone_notes_labelled.csv`` in DuckDB (the same SQL ingest
uses) and reports precision/recall/F1 for ``drone``, and accuracy plus per-class precision/recall for
``drone_role``, ``drone_operator`` and ``drone_platform``.

The labelled rows come in batches, told apart by the first letter of ``id``; they are reported
separately because they mean different things:

* ``L`` -- written before the rules, then used to tune them (scores on it are optimistic);
* ``H`` -- written after the first version of the rules with fresh phrasings, scored once (kept
  below in ``FIRST_RUNS``), then used for tuning;
* ``G`` -- written after that tuning, scored once (kept in ``FIRST_RUNS``), then used for tuning;
* ``K`` -- written after the last change to the rules and never used to change one: the honest
  estimate.  Each batch's first scoring is the honest estimate for the rules of its time.

Two further files, kept apart from the labelled set, are reported in their own tables when present:
``tests/data/drone_notes_dev.csv`` (batch D, written before the operator/role rework and then used
for tuning; its first scoring is kept in ``FIRST_RUNS``), ``tests/data/drone_notes_heldout.csv``
(written by someone else, scored once after round 1, then development data in round 2; its first
scoring is kept in ``FIRST_RUNS``) and ``tests/data/drone_notes_heldout2.csv`` (written by someone
else, scored once after the round-2 rules were final).

Run:  .venv/bin/python benchmarks/tagging_quality.py            (all files; rewrites docs/tagging.md)
      .venv/bin/python benchmarks/tagging_quality.py FILE.csv   (one file; prints, writes nothing)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sahelsim.evidence.tagging import OPERATORS, PLATFORMS, ROLES, drone_tag_sql  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "drone_notes_labelled.csv"
DEV = ROOT / "tests" / "data" / "drone_notes_dev.csv"
HELDOUT = ROOT / "tests" / "data" / "drone_notes_heldout.csv"
HELDOUT2 = ROOT / "tests" / "data" / "drone_notes_heldout2.csv"
HELDOUT3 = ROOT / "tests" / "data" / "drone_notes_heldout3.csv"
HELDOUT4 = ROOT / "tests" / "data" / "drone_notes_heldout4.csv"
OUT = ROOT / "docs" / "tagging.md"
SPLITS = {"L": "tuning set (L)", "H": "batch H (tuned on after first scoring)",
          "G": "batch G (tuned on after first scoring)", "K": "untouched hold-out (K)"}
HOLDOUT = "K"
#: Each batch as first scored, before any rule was changed for it (recorded by hand at the time).
#: Accuracies use this script's definition: over labelled drone events, a missed drone counts as wrong.
FIRST_RUNS = {
    # H: 35 true positives, 3 false positives, 2 misses; 6 role, 2 operator, 0 platform errors in the 35.
    "H": {"rows": 55, "drone events": 37, "precision": 35 / 38, "recall": 35 / 37, "f1": 70 / 75,
          "role accuracy": 29 / 37, "operator accuracy": 33 / 37, "platform accuracy": 35 / 37},
    # G: 58 true positives, 4 false positives, 1 miss; 1 role, 4 operator, 0 platform errors in the 58.
    "G": {"rows": 86, "drone events": 59, "precision": 58 / 62, "recall": 58 / 59, "f1": 116 / 121,
          "role accuracy": 57 / 59, "operator accuracy": 54 / 59, "platform accuracy": 58 / 59},
    # D (drone_notes_dev.csv): 99 true positives, 22 false positives, 0 misses; 14 role, 32 operator,
    # 0 platform errors in the 99.
    "D": {"rows": 122, "drone events": 99, "precision": 99 / 121, "recall": 99 / 99, "f1": 198 / 220,
          "role accuracy": 85 / 99, "operator accuracy": 67 / 99, "platform accuracy": 99 / 99},
    # The first held-out batch, scored once under the round-1 rules before round 2 tuned on it:
    # 90 true positives, 16 false positives, 1 miss; 83 role, 80 operator, 89 platform right.
    "held-out at its first scoring": {
        "rows": 127, "drone events": 91, "precision": 90 / 106, "recall": 90 / 91, "f1": 180 / 197,
        "role accuracy": 83 / 91, "operator accuracy": 80 / 91, "platform accuracy": 89 / 91,
        "when": "at its first scoring (round-1 rules), before round 2 tuned on it"},
    # The same batch under the rules before round 1 (measured once, for comparison): 90 true
    # positives, 22 false positives, 1 miss; 79 role, 74 operator, 89 platform right.
    "held-out": {"rows": 127, "drone events": 91, "precision": 90 / 112, "recall": 90 / 91, "f1": 180 / 203,
                 "role accuracy": 79 / 91, "operator accuracy": 74 / 91, "platform accuracy": 89 / 91,
                 "when": "under the rules before round 1"},
    # The second held-out batch, scored once under the round-2 rules before round 3 tuned on it:
    # 84 true positives, 6 false positives, 2 misses; 83 role, 80 operator right.
    "held-out 2 at its first scoring": {
        "rows": 112, "drone events": 86, "precision": 84 / 90, "recall": 84 / 86, "f1": 168 / 176,
        "role accuracy": 83 / 86, "operator accuracy": 80 / 86, "platform accuracy": 84 / 86,
        "when": "at its first scoring (round-2 rules), before round 3 tuned on it"},
    # The third held-out batch, scored once under the round-3 rules before round 4 tuned on it:
    # 104 true positives, 10 false positives, 1 miss; 93 role, 98 operator, 103 platform right.
    "held-out 3 at its first scoring": {
        "rows": 170, "drone events": 105, "precision": 104 / 114, "recall": 104 / 105, "f1": 208 / 219,
        "role accuracy": 93 / 105, "operator accuracy": 98 / 105, "platform accuracy": 103 / 105,
        "when": "at its first scoring (round-3 rules), before round 4 tuned on it"},
    # The fourth held-out batch, scored once under the round-4 rules:
    # 113 true positives, 8 false positives, 4 misses; 107 role, 108 operator, 110 platform right.
    "held-out 4 at its first scoring": {
        "rows": 194, "drone events": 117, "precision": 113 / 121, "recall": 113 / 117, "f1": 226 / 238,
        "role accuracy": 107 / 117, "operator accuracy": 108 / 117, "platform accuracy": 110 / 117,
        "when": "at its first scoring (round-4 rules)"},
}
#: Which first runs belong under which file's table.
FILE_FIRST_RUNS = {DEV: ("D",), HELDOUT: ("held-out at its first scoring", "held-out"),
                   HELDOUT2: ("held-out 2 at its first scoring",),
                   HELDOUT3: ("held-out 3 at its first scoring",),
                   HELDOUT4: ("held-out 4 at its first scoring",)}

Row = tuple  # (id, lang, label drone, role, operator, platform, tag drone, role, operator, platform)


def score_rows(path: Path = LABELLED) -> list[Row]:
    """Label and tag side by side for every row of a labelled file (drone_notes_labelled.csv's columns)."""
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE l AS SELECT * FROM read_csv(?, header=true, all_varchar=true)", [str(path)])
    return con.execute(
        "SELECT id, lang, label_drone = 'true', label_role, label_operator, label_platform, "
        f"{drone_tag_sql()} FROM (SELECT * EXCLUDE (drone, drone_role, drone_operator, drone_platform), "
        "drone AS label_drone, drone_role AS label_role, drone_operator AS label_operator, "
        "drone_platform AS label_platform FROM l) ORDER BY id"
    ).fetchall()


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def drone_metrics(rows: Sequence[Row]) -> dict[str, float | int | None]:
    tp = sum(1 for r in rows if r[2] and r[6])
    fp = sum(1 for r in rows if not r[2] and r[6])
    fn = sum(1 for r in rows if r[2] and not r[6])
    p, rc = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = 2 * p * rc / (p + rc) if p and rc else None
    return {"rows": len(rows), "drone events": tp + fn, "tp": tp, "fp": fp, "fn": fn,
            "precision": p, "recall": rc, "f1": f1}


def field_metrics(rows: Sequence[Row], index: int, classes: Sequence[str]) -> dict:
    """Accuracy over labelled drone events (a missed drone counts as wrong) and per-class P/R over
    all rows (a false drone counts against the predicted class's precision)."""
    events = [r for r in rows if r[2]]
    acc = _ratio(sum(1 for r in events if r[index + 4] == r[index]), len(events))
    per = {}
    for c in classes:
        tp = sum(1 for r in rows if r[index] == c and r[index + 4] == c)
        per[c] = (_ratio(tp, sum(1 for r in rows if r[index + 4] == c)),
                  _ratio(tp, sum(1 for r in rows if r[index] == c)), sum(1 for r in rows if r[index] == c))
    return {"accuracy": acc, "per_class": per}


def fmt(x: float | int | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def drone_table(groups: dict[str, Sequence[Row]], first_runs: dict[str, dict] | None = None) -> list[str]:
    lines = ["| rows | n | drone events | precision | recall | F1 | role acc. | operator acc. | platform acc. |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, rows in groups.items():
        d = drone_metrics(rows)
        accs = [field_metrics(rows, i, c)["accuracy"] for i, c in ((3, ROLES), (4, OPERATORS), (5, PLATFORMS))]
        lines.append(f"| {name} | {d['rows']} | {d['drone events']} | {fmt(d['precision'])} | {fmt(d['recall'])} | "
                     f"{fmt(d['f1'])} | " + " | ".join(fmt(a) for a in accs) + " |")
    for batch, h in (first_runs or {}).items():
        when = h.get("when", "at its first scoring, before tuning on it")
        lines.append(f"| batch {batch.split(' at ')[0]} {when} | {h['rows']} | "
                     f"{h['drone events']} | {fmt(h['precision'])} | {fmt(h['recall'])} | {fmt(h['f1'])} | "
                     f"{fmt(h['role accuracy'])} | {fmt(h['operator accuracy'])} | {fmt(h['platform accuracy'])} |")
    return lines


def class_table(rows: Sequence[Row]) -> list[str]:
    lines = ["| field | class | precision | recall | labelled n |", "|---|---|---|---|---|"]
    for field, index, classes in (("drone_role", 3, ROLES), ("drone_operator", 4, OPERATORS),
                                  ("drone_platform", 5, PLATFORMS)):
        for c, (p, r, n) in field_metrics(rows, index, classes)["per_class"].items():
            lines.append(f"| {field} | {c} | {fmt(p)} | {fmt(r)} | {n} |")
    return lines


def errors(rows: Sequence[Row]) -> list[str]:
    out = []
    for r in rows:
        label, tag = r[2:6], r[6:10]
        if tuple(label) != tuple(tag) and (label[0] or tag[0]):
            out.append(f"- `{r[0]}`: labelled {fmt_tag(label)}, tagged {fmt_tag(tag)}")
    return out or ["- none"]


def fmt_tag(t: Sequence) -> str:
    return "no drone" if not t[0] else "/".join(str(x) for x in t[1:])


METHOD = """# Drone tagging

`sahelsim.evidence.tagging` derives `drone`, `drone_role` (strike | isr | intercepted),
`drone_operator` (state | nonstate | unknown) and `drone_platform` (quadcopter | fpv | fixed_wing |
male | unknown) for every event from its notes (English or French), event type and coded actors.
`sahelsim tag --text ... --event-type ... --sub-event-type ... --actor1 ... --actor2 ... --inter1 ...
--inter2 ...` tags one note; given a row's fields it answers what ingest stores for that row.

## Method

One implementation, written as DuckDB SQL (`drone_tag_sql()`), so ingest tags millions of rows in the
database and the Python helpers (`tag_text`, `tag_many`) run the very same expression. The notes are
lower-cased and accent-stripped once, and the event's date is removed; then, in order:

1. phrases that contain a drone word without a drone in flight are blanked: ACLED's own
   "air/drone strike", anti-/counter-drone kit and jammers, drone hangars/bases/parts/pilots, drone
   workshops, depots, warehouses and launch sites ("jets bombed a JNIM drone workshop"), trucks
   carrying drones, drones promised or announced for later ("drones would support", "des drones
   seront bientôt déployés"), nicknames and names ("the Drone Hotel");
2. a drone term must remain (drone, UAV, quadcopter, FPV, TB2, Akinci, Mavic, aéronef sans pilote,
   appareil téléguidé...). Words that are also names or acronyms count only in a drone's company:
   "a UAS" but not "the UAS (Union des ...)", "US Reapers" but not the "Grim Reapers" gang,
   "Matrice 30T" but not "la matrice des risques"; "DJI" and "predators" alone never count. Manned
   strikes -- jets, helicopters, Su-24, L-39, "aviation", "vecteurs aériens", "frappes aériennes" --
   carry no drone term, so an "Air/drone strike" code alone never makes a drone event;
3. negations and doubts veto ("no drone was used", "not a drone", "aucun drone", "et non d'un drone",
   "could not be confirmed", "whether aircraft or drones");
4. frames where drones are discussed but not flown veto unless an operational verb appears: protests
   and riots; strategic developments about purchases, deliveries, ceremonies, training, bans,
   statements and denials;
5. role: drone downing an aircraft (strike) > interception (shot, shut or brought down, downed,
   jammed, crashed, captured, seized, confiscated; "abattu", "descendu", "fait tomber", "confisqué",
   "s'est écrasé") > a strike cue tied to the drone (drone strike, dropped explosives, fired from a
   drone, kamikaze, FPV, "frappe de drone", "largué") > ISR cue (surveillance, reconnaissance,
   overflight, air cover, escorting, filming, "survol", "couverture aérienne") > a strike cue that
   names no drone (an "explosive-laden" vehicle, "engin explosif") > the event type
   (explosions/remote violence -> strike, otherwise ISR). The drone-tied strike cues read the note
   with the phrases where a drone only watches consumed ("a convoy escorted by a drone", "under drone
   air cover", "a drone guided the artillery") and a change of subject ("while", "as", "before",
   "pendant que") ending the clause, so another party's IED or strike is not the drone's;
6. operator: "unidentified"/"unclaimed drone", "of unknown origin/provenance", "origine
   indéterminée", "owner not identified" (unknown) > a MALE platform (state) > an actor written next
   to the drone ("JNIM drone", "drones de l'armée", "drone operated by IS Sahel", "drone ennemi",
   "un drone russe", "a Western drone", "an MNJTF drone") > attribution ("belonged to ISWAP") > whom a
   seized drone was taken from ("confiscated a drone from Nigerian soldiers") > "a drone that JNIM
   militants had been flying" > the party a drone watched over ("a FAMa convoy escorted by a drone")
   > for interceptions, the side that lost it (`inter2`) > the named dropper or firer ("soldiers
   fired on the attackers from a drone", "les jihadistes ont largué ... depuis un drone") > the actor
   after a "said/reported" verb > the first actor of the clause that introduces the drone > ACLED's
   `inter1` (1 and 8 state, 2-4 non-state) > unknown. Before the last four, the parties that did
   not fly it are blanked: victims and targets ("JNIM militants were killed when a drone struck",
   "neutralisé plusieurs terroristes"), speakers of a drone they did not fly ("FLA fighters said a
   drone had bombed their base") and sources ("according to the army,", "selon l'armée,");
7. platform from explicit names only: MALE > FPV/kamikaze > fixed-wing > quadcopter > unknown.

## Round 1: what changed, and why

Measured on real ACLED notes, the tagger found drones well but named the operator right only about
83% of the time. Batch D (`tests/data/drone_notes_dev.csv`, 122 notes) was written and committed
before any rule changed, one group of notes per failure kind, true and false cases; its first
scoring (kept in the table below) was operator accuracy 0.677 and drone precision 0.818. Then:

- operator from the wrong party: victims, objects of an attack verb, speakers and sources are
  blanked before the clause rules; a named dropper or firer decides before `inter1`; a seized or
  confiscated drone belongs to whom it was taken from;
- owners named by nationality or alliance are states: "Western", "occidental", "français", "russe",
  "américain", MNJTF, AES were missing or only read before the noun;
- stated unknown origin is unknown: "of unidentified origin", "unclaimed", "provenance inconnue",
  "origine indéterminée", "owner not identified" were read as `inter1` (usually an unidentified
  armed group, so non-state); "unknown assailants used a drone" stays non-state;
- role: IED-like cues no longer outrank ISR cues, and a drone escorting or covering others is ISR;
  "shut down", "confiscated", "descendu", "fait tomber" are interceptions;
- false drones: ambiguous acronyms and common nouns need a drone's company; future or promised
  drones and drone infrastructure are blanked;
- `sahelsim tag` takes `--inter1`/`--inter2` (codes or API labels), so it reproduces ingest.

## Round 2: rules from the first held-out batch

The first held-out batch (`tests/data/drone_notes_heldout.csv`) scored drone precision 0.849 and
operator accuracy 0.879 against aims of 0.97 and 0.95. Having been scored, it became development
data: the rules below were written from its misses, each stated generally and tested on notes written
for the test (tests/test_tagging.py, "second round"), none copied from the batch:

- not a drone in flight: kit "for drones" (batteries, propellers, remote controls, chargers); "the
  drone of ... engines" (a sound); nicknames in any quotes ("known locally as 'Drone'", "surnommé
  « Drone »") and places named Drone ("the hamlet of Drone"); threats to use drones in any event
  type ("threatened to use drones", "a menacé d'utiliser des drones"); toy, hobby and leisure drones;
  courses in drone piloting ("formés au pilotage de drones"); drones assembled, or kept in a hangar
  ("abritant des drones"); drones announced "prochainement"/"bientôt", or that "would no longer be"
  allowed;
- negations: "used no drones", "no drone appears", "no drone was found", rumours of drones denied
  ("denied rumours", "a démenti la rumeur");
- an origin or owner "not established/confirmed" is a drone of unknown origin, not a doubt about
  the drone (the "not confirmed" veto no longer fires on it), and "could not be identified" reads as
  "not identified";
- owners: "allied", "European"/"européen", "unified/joint force" are states; a maker's nationality
  between the drone and its owner ("un drone de fabrication turque de l'armée") no longer hides the
  owner; "un drone armé européen"; "fighters" and "EI Sahel" are non-state actors; a pronoun after
  the dropper stands for the drone ("l'EI Sahel l'avait lancé", "ISWAP had launched it");
- interceptions: "brought/shot it down", a drone "left behind" or "abandoned", a drone taken at an
  arrest ("arrested ... along with the quadcopter"), "mis hors d'usage"; a passive downing or crash
  is read across the whole clause, so a drone that struck and then crashed is intercepted;
- strike: "a drone ... a ensuite frappé" (an adverb between auxiliary and verb);
- platform: the Orlan-10 is fixed-wing.

## Round 4: rules from the third held-out batch

The third held-out batch scored drone precision 0.912 and operator accuracy 0.933 at its first
scoring. Its misses gave these rules, each tested on notes written for the test
(tests/test_tagging.py, "fourth round"):

- the event's date is removed from the text, with its article ("ont abattu le 10 février 2025 deux
  drones"): between a verb and its drone it kept the verb from reaching the drone;
- interceptions: "fait chuter", a drone "abandonné", "par erreur"/"par des tirs" between the verb and
  the drone, "confiscated the device", an acronym in brackets between the words; a drone that is the
  instrument ("détruit à l'aide d'un drone kamikaze une moto") is not the thing destroyed, and "shot
  down by" or "abattu par" make the drone the shooter only when the drone follows at once;
- not a drone: a sighting "turned out to be"/"s'est révélé être" a bird, a kite, a mortar round; false
  alarms; a drone strike first suspected "but" blamed on something else, or "sans confirmation"; a
  noise like a drone's; drone clubs, courses, lessons and simulators; other, earlier strikes recalled
  ("repeated drone strikes in recent months", "en mars, l'armée avait mené des frappes de drones");
  a hangar or warehouse "where" drones were kept; seizures are operational, so a strategic development
  that orders or receives seized drones still counts them;
- roles and owners: a drone "guidait les tirs" is ISR; shots that "did not hit" strike nothing; a drone
  "appartenant à des" armed men or "abandoned by" a party is that party's;
- platform: one-way attack drones and loitering munitions ("munitions rôdeuses") are FPV, and count
  as drones.

## Labelling conventions

`drone` is true when the note reports a drone used, flying, striking, watching, shot down, crashed,
captured, seized or confiscated in this event; false for mentions only, negations, "suspected but
not confirmed", drones announced for later, drones hit on the ground by manned aircraft, manned
aircraft and unspecified "air strikes". Role priority: intercepted > strike > ISR; a drone giving
air cover or reconnaissance is ISR even when the note reports another party's IED or strike. The
operator is who flew the drone (a suspected/attributed group counts; a drone of stated unknown
origin is unknown; one described by its owner's nationality or alliance is a state's). "Kamikaze"
drones count as FPV. The platform is `unknown` unless named (a "commercial drone" stays unknown).

## Known limits

- Rules read surface patterns: long-distance references ("... it was later found to belong to the
  army") and irony or hypotheticals ("JNIM threatened to use drones") are handled only where a pattern
  exists (threats, bans and denials in strategic developments; not in other event types).
- Operator falls back to ACLED's `inter1` when the text names no actor near the drone and no
  dropper; a note coded with actor1 = the target and no actor in the text would be mis-attributed.
- Blanking victims is sentence-wide: "JNIM attacked the post and soldiers were killed by a drone"
  loses JNIM as a candidate too (the answer then comes from `inter1`).
- A speaker is blanked only before an article ("the army said a drone ..."): "the army said the
  drone strike killed 10" is read from `inter1`, not from the speaker.
- "Turkish" alone is not an owner (a "Turkish-made drone" of an unstated owner follows the other
  rules); "backed by drones" is read as ISR (K008 is labelled strike).
- Mentions outside the blanked phrases in non-strategic events can produce false positives.
- "vecteurs aériens" and "aéronef" alone are read as not-a-drone; communiqués that use them for drones
  are missed by design.
- Languages other than English and French (Hausa, Arabic, Fulfulde) are not covered.
- Precision was the weak side on unseen notes in earlier rounds: on hold-out K the misses were a
  state of emergency "citing ... drone attacks", "an unidentified aircraft, possibly a drone", and an
  arrest for "supplying drones to JNIM", plus "forces backed by drones" read as ISR. They are left
  unfixed so that the K figures stay honest. Two G rows also remain: "training with DJI drones" in a
  video is missed (training frame), and a wedding photographer's drone counts as a drone event.
- The first held-out batch was scored once after round 1 (precision 0.849, operator accuracy 0.879:
  both aims missed) and is development data since round 2, which tuned on its misses; its current row
  is optimistic. Two of its rows still fail: an informant arrested for reporting "the army's drone"
  schedules counts as a drone event (an arrest frame is not a no-flight frame, since drones are also
  seized at arrests), and "an unidentified drone ... later confirmed it was one of its own" stays
  unknown (a long-distance reference).
- The second held-out batch (written by someone else, copied in after the round-2 rules were
  committed, scored once, never tuned on) misses both aims again, by less: drone precision 0.934
  (aim 0.97; 0.849 on the first batch at its first scoring) and operator accuracy 0.931 (aim 0.95;
  0.879). Role 0.966, recall 0.977. It became development data in round 3.
- The third held-out batch (170 notes, 105 drone events, written by someone who had not seen the
  rules, copied in after the round-3 rules were committed, scored once, never tuned on) misses the
  aims again: drone precision 0.912 (aim 0.97), operator accuracy 0.933 (aim 0.95), role 0.886,
  recall 0.990. It became development data in round 4.
- The fourth held-out batch (194 notes, 117 drone events, written by someone who had seen neither
  the rules nor the earlier batches, copied in after the round-4 rules were committed, scored once,
  never tuned on) misses the aims a fourth time: drone precision 0.934 (aim 0.97), operator accuracy
  0.923 (aim 0.95), role 0.915, recall 0.966. Four rounds of tuning on one batch and scoring the
  next have kept the unseen figures at about 0.91-0.93: each new batch's misses are new surface
  forms (a CH-4 named by its model alone, "Mavic" bicycle parts, a road's "TB2 section", reports a
  military "dismissed", "et non par des drones", VDP drones read as the state's), which is the limit
  of a rule-based reader. Quote this row as the expected quality on new notes; its disagreements
  are listed under its table.
- Batch D and the labelled set were written by the same engineer who wrote the rules; D was tuned on
  until it scored 1.000, so its current row says nothing about new notes: its first scoring and the
  held-out batches' first scorings (written by someone else, scored once) are the honest figures.
"""

DEV_AND_HELDOUT = """## Batch D and the held-out batches

Six files kept apart from the labelled set, each scored with the same code
(`benchmarks/tagging_quality.py FILE.csv` prints one file's tables). Batch D's first-scoring row is
the rules before round 1; its current row is after tuning on it. The first held-out batch was scored
once after round 1 (its first-scoring row) and became development data in round 2: its current row
is after tuning on it and says nothing about new notes. The second held-out batch was copied in
after the round-2 rules were committed and scored once with
`benchmarks/tagging_quality.py tests/data/drone_notes_heldout2.csv` and became development data in
round 3. The third held-out batch was copied in after the round-3 rules were committed, scored once,
and became development data in round 4. The fourth held-out batch was copied in after the round-4
rules were committed (sha256 a87f7628…bc8e) and scored once; no rule was changed after.
"""

SPEED = """## Speed

Tagging as ingest runs it (`drone_tag_sql()` on the rows `drone_candidate_sql()` passes), 1,000,000
synthetic ACLED rows (`sahelsim.evidence.synthetic.generate_acled(1_000_000, seed=1)`), one thread,
CPU seconds, old and new rules taking turns on a machine shared with other jobs (load average 6-7 on
2 cores, so the figures are noisy):

| rules | candidate rows | CPU s, 3 runs |
|---|---|---|
| before this revision | 120,864 | 3.87, 4.05, 4.04 |
| this revision | 98,649 | 4.76, 4.74, 4.64 |

The candidate scan no longer takes "dji" (it matched every "Djibo"), so 18% fewer rows reach the
full rules; on them the new rules cost about half as much again (more patterns for the operator, a
second copy of the text for the strike cues). Net, tagging 1M rows costs about 0.7 s (+18%) more
CPU than before, which is about 7% of the single-thread ingest time in `docs/bench_record.md`
(9.7 s): more than the few percent aimed for. Not yet recovered; the obvious next step is to merge
the new operator patterns into fewer scans.

Round 2, measured the same way at a smaller size: `tagged_sql()` (candidate scan plus full rules,
all four columns materialised with CREATE TABLE AS) on 200,000 synthetic rows
(`generate_acled(200_000, seed=1)`, 19,917 candidates), one thread, CPU seconds, the round-1 and
round-2 rules taking turns, three runs each, three rounds:

| rules | CPU s (3 rounds of 3 runs) | best |
|---|---|---|
| round 1 | 1.80 1.88 1.90 / 1.95 2.00 2.01 / 1.84 1.93 1.87 | 1.80 |
| round 2 | 1.95 2.12 2.06 / 2.10 2.04 2.11 / 1.92 2.13 1.93 | 1.92 |

About +6% on the tagging step (+0.1 s per 200k rows). A first draft cost +17%: widening the passive
downing and crash patterns to a counted gap of 100 characters made that one RE2 scan five times
slower; an unbounded gap within the clause (`[^.;]*`) reads the same notes at the old cost.
"""


def file_report(path: Path, name: str) -> list[str]:
    """One file's tables: drone precision/recall and field accuracies, per-class precision/recall
    for role, operator and platform, and each disagreement with the labels."""
    rows = score_rows(path)
    first = {k: FIRST_RUNS[k] for k in FILE_FIRST_RUNS.get(path, ())}
    return ([f"### {name}", "", f"`{path.relative_to(ROOT)}`", ""] + drone_table({name: rows}, first)
            + ["", "Per class (precision counts false drones against the predicted class):", ""]
            + class_table(rows) + ["", "Disagreements with the labels:", ""] + errors(rows) + [""])


def main(argv: Sequence[str]) -> None:
    if argv:
        for arg in argv:
            path = Path(arg).resolve()
            print("\n".join(file_report(path, path.name)))
        return
    rows = score_rows()
    groups = {"all": rows}
    for prefix, name in SPLITS.items():
        part = [r for r in rows if r[0].startswith(prefix)]
        if part:
            groups[name] = part
    holdout = groups.get(SPLITS[HOLDOUT], [])
    lines = [METHOD, "## Measured quality", "",
             "`drone`: precision/recall/F1 over all rows; accuracies over labelled drone events (a missed",
             "drone counts as wrong). The hold-out is small (about 30 drone events): one error moves an",
             "accuracy by about 3 points, so read its row as indicative, not precise.", ""]
    lines += drone_table(groups, {k: v for k, v in FIRST_RUNS.items() if k in SPLITS})
    lines += ["", "Per class, all rows (precision counts false drones against the predicted class):", ""]
    lines += class_table(rows)
    if holdout:
        lines += ["", f"Per class, untouched hold-out ({HOLDOUT}) only:", ""] + class_table(holdout)
    lines += ["", "Disagreements with the labels (all rows):", ""] + errors(rows) + [""]
    lines += [DEV_AND_HELDOUT] + file_report(DEV, "Batch D (development, tuned on)")
    if HELDOUT.exists():
        lines += file_report(HELDOUT, "First held-out batch (development data since round 2)")
    else:
        lines += ["### First held-out batch", "", "Not in this checkout: nothing measured.", ""]
    if HELDOUT2.exists():
        lines += file_report(HELDOUT2, "Second held-out batch (development data since round 3)")
    else:
        lines += ["### Second held-out batch", "", "Not in this checkout: nothing measured.", ""]
    if HELDOUT3.exists():
        lines += file_report(HELDOUT3, "Third held-out batch (development data since round 4)")
    else:
        lines += ["### Third held-out batch", "", "Not in this checkout: nothing measured.", ""]
    if HELDOUT4.exists():
        lines += file_report(HELDOUT4, "Fourth held-out batch (scored once, after the round-4 rules were final)")
    else:
        lines += ["### Fourth held-out batch", "", "Not in this checkout: nothing measured.", ""]
    lines += [SPEED]
    lines += ["", "Regenerate: `.venv/bin/python benchmarks/tagging_quality.py` "
              "(tests: `.venv/bin/pytest tests/test_tagging.py -q`).", ""]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(drone_table(groups)))
    for path in (DEV, HELDOUT, HELDOUT2, HELDOUT3, HELDOUT4):
        if path.exists():
            print("\n".join(drone_table({path.name: score_rows(path)})))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
