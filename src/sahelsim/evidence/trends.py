"""Drone trends: how drone use in the record grows, who uses it, for what, and at what human cost.

Each function is one aggregate query over the store, so the same numbers feed the CLI tables, the
JSON output, the charts and the calibration of scenarios.

Two kinds of doubt stay visible rather than being counted as nothing. A year (or month) with no
drone incident between the first and the last is a row of zeros, not a missing row that a chart
would bridge. And an event ACLED codes "Air/drone strike" whose note names neither a drone nor a
manned aircraft is counted apart, as `unclear`, beside the drone incidents.
"""

from __future__ import annotations

from functools import cache

import duckdb
import pandas as pd

from sahelsim.errors import UserError
from sahelsim.evidence.actors import ActorRegistry
from sahelsim.evidence.record import NOTE_SAYS_NEITHER, UNTAGGED_AIR_STRIKE, EventFilter, operator_side
from sahelsim.evidence.store import Source, reading

# What `--by` can group drone events by; "actor" is the actor who flew the drone (see `drone_actor`).
_GROUPING_SQL: dict[str, str] = {
    "year": "CAST(year AS VARCHAR)",
    "month": "strftime(date_trunc('month', event_date), '%Y-%m')",
    "actor": "",
    "country": "coalesce(country, 'unknown')",
    "admin1": "coalesce(country, '?') || ' / ' || coalesce(admin1, 'unknown')",
    "role": "coalesce(drone_role, 'unknown')",
    "platform": "coalesce(drone_platform, 'unknown')",
    "operator": "coalesce(drone_operator, 'unknown')",
}
GROUPINGS: tuple[str, ...] = tuple(_GROUPING_SQL)
PERIODS = ("year", "month")
_ACTOR_KEY = "actor_key"


def drone_actor() -> str:
    """SQL: the key (or, unknown to the registry, the ACLED name) of the actor who flew the drone.

    By actor means this actor, so a US drone over an IS Sahel ambush counts for the US, and a JNIM
    drone for JNIM whichever side ACLED coded first; NULL when the record does not say who flew it.
    Beside the drone events, the trends hold only unclear air/drone strikes: actor1 struck those.
    """
    return (f"CASE WHEN NOT coalesce(drone, false) THEN coalesce(actor1_key, actor1) "
            f"ELSE CASE ({operator_side()}) WHEN 1 THEN coalesce(actor1_key, actor1) "
            f"WHEN 2 THEN coalesce(actor2_key, actor2) END END")


def _grouping(by: str) -> str:
    if by not in _GROUPING_SQL:
        raise UserError(f"cannot group by {by!r}: choose one of {', '.join(GROUPINGS)}", field="--by")
    return _GROUPING_SQL[by] or f"coalesce({drone_actor()}, 'unknown')"


@cache
def _registry() -> ActorRegistry:
    return ActorRegistry.load()


def actor_label(key: str) -> str:
    """An actor's name for people: the registry's display name ("JNIM", "JNIM or IS Sahel").

    A key the registry does not hold (an ACLED name it could not match, "unknown") is shown as it is.
    """
    try:
        return _registry().display_name(key)
    except KeyError:
        return key


def drone_trends(source: Source = None, by: str = "year",
                 where: EventFilter = EventFilter()) -> pd.DataFrame:
    """Drone incidents grouped by one dimension: counts, unclear air/drone strikes beside them, counts
    by role and operator, fatalities, strike share (empty where there was no incident).

    By actor, `actor` is the registry's name and `actor_key` what `--actor` takes. By year or month,
    every period from the first to the last is a row. `source` is a connection or a store's path
    (`store.reading`; None: the default store).
    """
    with reading(source) as con:
        frame = _drone_trends(con, _grouping(by), by, where)
    if by == "actor":
        frame.insert(1, _ACTOR_KEY, frame["actor"])
        frame["actor"] = frame[_ACTOR_KEY].map(actor_label)
    return every_period(frame, by) if by in PERIODS else frame


def _drone_trends(con: duckdb.DuckDBPyConnection, grouping: str, by: str,
                  where: EventFilter) -> pd.DataFrame:
    condition, params = where.where()
    return con.execute(
        f"""SELECT {grouping} AS {by},
                   count(*) FILTER (drone) AS incidents,
                   count(*) FILTER (unclear) AS unclear,
                   count(*) FILTER (drone_role = 'strike') AS strikes,
                   count(*) FILTER (drone_role = 'isr') AS isr,
                   count(*) FILTER (drone_role = 'intercepted') AS intercepted,
                   count(*) FILTER (drone_operator = 'nonstate') AS nonstate,
                   count(*) FILTER (drone_operator = 'state') AS state,
                   CAST(coalesce(sum(fatalities) FILTER (drone), 0) AS BIGINT) AS fatalities,
                   round(count(*) FILTER (drone_role = 'strike') / nullif(count(*) FILTER (drone), 0), 3)
                       AS strike_share
            FROM (SELECT *, false AS unclear FROM events WHERE drone AND {condition}
                  UNION ALL  -- apart, so that only the notes of air/drone strikes are read
                  SELECT *, {NOTE_SAYS_NEITHER} FROM events WHERE {UNTAGGED_AIR_STRIKE} AND {condition})
            GROUP BY ALL HAVING incidents > 0 OR unclear > 0
            ORDER BY {"1" if by in PERIODS else "incidents DESC, unclear DESC, 1"}""",
        params * 2).df()


def monthly_by(con: duckdb.DuckDBPyConnection, column: str, where: EventFilter = EventFilter(),
               top: int = 6) -> pd.DataFrame:
    """Drone incidents per month split by one `--by` dimension: one row per month from the first to
    the last (zeros where none), one column per value, the `top` largest kept and the rest as other."""
    condition, params = where.where()
    long = con.execute(
        f"""WITH labelled AS (
                SELECT strftime(date_trunc('month', event_date), '%Y-%m') AS month,
                       {_grouping(column)} AS label
                FROM events WHERE drone AND {condition}),
            ranked AS (SELECT label, row_number() OVER (ORDER BY count(*) DESC, label) AS rank
                       FROM labelled GROUP BY label)
            SELECT month, CASE WHEN rank <= {int(top)} THEN l.label ELSE 'other' END AS label,
                   min(rank) AS rank, count(*) AS incidents
            FROM labelled l JOIN ranked USING (label) GROUP BY ALL ORDER BY rank""",
        params).df()
    if column == "actor":
        long["label"] = long["label"].map(lambda key: key if key == "other" else actor_label(key))
    wide = long.pivot_table(index="month", columns="label", values="incidents", aggfunc="sum", fill_value=0,
                            sort=False)
    wide = wide[list(dict.fromkeys(long["label"]))]  # largest first, other last
    return every_period(wide.rename_axis(columns=column).reset_index(), "month").set_index("month")


def groups_per_year(con: duckdb.DuckDBPyConnection, where: EventFilter = EventFilter()) -> pd.DataFrame:
    """How many distinct armed (non-state) groups flew drones each year: the spread of the capability.

    Only the drone's operator counts, never the group a state drone struck, and only where the record
    says which coded actor flew it. Every year from the first drone incident to the last is a row.
    """
    condition, params = where.where()
    frame = con.execute(
        f"""SELECT CAST(year AS VARCHAR) AS year,
                   count(DISTINCT {drone_actor()}) FILTER (drone_operator = 'nonstate') AS armed_groups
            FROM events WHERE drone AND {condition}
            GROUP BY year ORDER BY year""",
        params).df()
    return every_period(frame, "year")


def every_period(frame: pd.DataFrame, unit: str) -> pd.DataFrame:
    """`frame` (one row per `unit`, "year" or "month") with a row for every period between its first
    and last: counts 0, shares empty. A period the record has nothing for is stated, not skipped."""
    if frame.empty:
        return frame
    first, last = frame[unit].min(), frame[unit].max()
    if unit == "year":
        periods = [str(year) for year in range(int(first), int(last) + 1)]
    else:
        periods = list(pd.period_range(first, last, freq="M").strftime("%Y-%m"))
    full = frame.set_index(unit).reindex(periods)
    counts = [name for name in full.columns if name not in ("strike_share", _ACTOR_KEY)]
    full[counts] = full[counts].fillna(0).astype("int64")
    return full.rename_axis(unit).reset_index()


def records(frame: pd.DataFrame) -> list[dict]:
    """The rows as plain dicts for JSON: an empty share is null, not NaN (which JSON lacks)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
