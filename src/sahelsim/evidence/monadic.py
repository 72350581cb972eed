"""Monadic exports: ACLED's layout of one row per actor, folded back into one event per id.

ACLED can export each event once per actor (the "monadic" layout): the header has `actor1`,
`assoc_actor_1` and `inter1` but no `actor2`, `assoc_actor_2` nor `inter2`, and an event between two
actors fills two rows with the same `event_id_cnty` and `timestamp`, one per actor. Read row by row,
the second would count as an unchanged repeat, or, when newer than the store, blank its actor2.

How the rows of one event are folded:

- The rows of one event share `event_id_cnty` and `timestamp`, taken in file order. The first gives
  actor1 (with `assoc_actor_1` and `inter1`), the second actor2 (its `actor1`, `assoc_actor_1` and
  `inter1` become `actor2`, `assoc_actor_2` and `inter2`); every other field comes from the first.
- The interaction code says how many rows an event has: one that ends in 0 (10, 20, …: an actor
  acting alone) one row, any other two. A further row with the same id and timestamp starts another
  copy of the event, judged like any repeated record; so an export concatenated twice folds into the
  same events, and a lone actor listed twice stays alone.
- The interaction code cannot say which actor is actor1 (ACLED writes the lower inter code first,
  whichever actor has it), so file order decides; but where the store already has the event with the
  same two actors the other way round, the stored order stays, so re-reading an event in the other
  layout never swaps its actors.
- An event of two actors with one row only (an export filtered by actor or country lists the matching
  actor's row) completes the stored event instead of blanking its other actor: its actor takes the
  place of the stored actor it names (actor2 when it is the stored actor2, else actor1), and the other
  place keeps the stored actor.
- Where the file gives no interaction code, it is computed from the folded inter codes.

Each second row is counted as `folded`, so that read = inserted + updated + unchanged + rejected +
folded. All of it is set-based SQL: one window over the file's good records lists the second rows
(`partners`), and the store's query joins them to the first.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

# The columns of each actor of an event, actor1's place first.
ACTOR_PLACES = (("actor1", "actor2"), ("assoc_actor_1", "assoc_actor_2"), ("inter1", "inter2"))

# A validated record `v` that stands for an event: good, and not the second row of one.
EVENT_ROWS = "v._reason IS NULL AND v.rowid NOT IN (SELECT _pos FROM partners)"
# Each event's second row, as `p`.
PARTNER_JOIN = "LEFT JOIN partners p ON p._first = v.rowid"


def is_monadic(columns: Iterable[str]) -> bool:
    """The header lists actor1 but none of the second actor's columns."""
    names = set(columns)
    return "actor1" in names and not names & {second for _, second in ACTOR_PLACES}


def fold(con: duckdb.DuckDBPyConnection) -> int:
    """List each event's second row in `partners` (with the row of its first, `_first`); returns
    how many rows were folded into another."""
    seconds = ", ".join(f"{first} AS {second}" for first, second in ACTOR_PLACES)
    firsts = ", ".join(first for first, _ in ACTOR_PLACES)
    return con.execute(
        f"""CREATE OR REPLACE TEMP TABLE partners AS
        SELECT _pos, _first, {seconds} FROM (
            SELECT rowid AS _pos, {firsts}, lag(rowid) OVER copies AS _first,
                   (row_number() OVER copies - 1)
                   % CASE WHEN interaction % 10 = 0 THEN 1 ELSE 2 END AS _place
            FROM validated WHERE _reason IS NULL
            WINDOW copies AS (PARTITION BY event_id_cnty, "timestamp" ORDER BY rowid))
        WHERE _place = 1""").fetchone()[0]


def actor_sql(stored: bool) -> dict[str, str]:
    """SQL for both actors' columns of a folded event, from its first row `v` and second row `p`;
    where `stored`, also from the stored event `old` (NULL when there is none), by the rules above."""
    two, alone = "p._first IS NOT NULL", "coalesce(v.interaction % 10 = 0, false)"
    if not stored:
        return {name: f"{row}.{column}" for first, second in ACTOR_PLACES
                for name, row, column in ((first, "v", first), (second, "p", second))}
    known = "old.event_id_cnty IS NOT NULL"
    # v's actor is the stored actor2 (and not actor1): it goes to actor2's place
    turned = (f"({known} AND v.actor1 = old.actor2 AND v.actor1 IS DISTINCT FROM old.actor1 AND "
              f"CASE WHEN {two} THEN p.actor2 IS NOT DISTINCT FROM old.actor1 ELSE NOT {alone} END)")
    columns = {}
    for first, second in ACTOR_PLACES:
        columns[first] = (f"CASE WHEN {turned} THEN CASE WHEN {two} THEN p.{second} ELSE old.{first} END "
                          f"ELSE v.{first} END")
        columns[second] = (f"CASE WHEN {turned} THEN v.{first} WHEN {two} THEN p.{second} "
                           f"WHEN {known} AND NOT {alone} THEN old.{second} END")
    return columns
