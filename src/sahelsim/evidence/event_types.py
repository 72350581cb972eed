"""Event types: ACLED's pre-2019 types onto today's event and sub-event types.

ACLED revised its event types in 2019; exports and archives from before still carry the old ones
(`Battle-No change of territory`, `Remote violence`, `Riots/Protests`, `Strategic development`, …).
Mapped onto today's types, one store can mix vintages and a trend by type compares like with like;
the file's own types are kept in `event_type_original` and `sub_event_type_original` (NULL where the
type needed no translation).

The table is data (`data/event_types.csv`), one row per rule, first matching row wins:

- `old_sub_event_type`: `*` matches any sub-event type, blank only a record without one;
- `actor_type`: blank matches any record, else an inter code (5 rioters, 6 protesters) that one of
  the event's actors must have, read from inter1, inter2 or the interaction code's digits (a monadic
  row lists one actor but the interaction code names both);
- `sub_event_type`: blank keeps the record's own sub-event type (or none): nothing is invented.

A record that matches no row keeps its types, e.g. a `Riots/Protests` record with neither rioters nor
protesters among its actors.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Translation:
    """One row of the table: which old records it matches and the types they get."""

    old_event_type: str
    any_sub_event_type: bool  # False: only a record without a sub-event type
    actor_type: int | None
    event_type: str
    sub_event_type: str | None  # None keeps the record's own


@cache
def translations() -> tuple[Translation, ...]:
    """The table, in its order; `old_sub_event_type` is `*` or blank (see above)."""
    text = (resources.files("sahelsim.evidence") / "data" / "event_types.csv").read_text("utf-8")
    return tuple(
        Translation(row["old_event_type"], row["old_sub_event_type"] == "*",
                    int(row["actor_type"]) if row["actor_type"] else None,
                    row["event_type"], row["sub_event_type"] or None)
        for row in csv.DictReader(text.splitlines()))
