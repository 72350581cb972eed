"""Drone trends: how drone use in the record grows, who uses it, for what, and at what human cost.

Each function is one aggregate query over the store, so the same numbers feed the CLI tables, the
JSON output, the charts and the calibration of scenarios.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from sahelsim.errors import UserError
from sahelsim.evidence.record import EventFilter

# The actor who flew the drone: of the event's two sides, the one matching the tagged operator
# (ACLED's inter codes 1 and 8 are state and external forces). "By actor" means this actor, so a US
# drone over an IS Sahel ambush counts for the US, not for the group coded as actor1.
_STATE_SIDE = "coalesce(inter1, 0) IN (1, 8)"
DRONE_ACTOR = (
    "CASE WHEN (drone_operator = 'state') = (" + _STATE_SIDE + ") OR drone_operator = 'unknown' "
    "THEN coalesce(actor1_key, actor1) ELSE coalesce(actor2_key, actor2, actor1_key, actor1) END")

# What `--by` can group drone events by, and the SQL of each grouping.
GROUPINGS: dict[str, str] = {
    "year": "CAST(year AS VARCHAR)",
    "month": "strftime(date_trunc('month', event_date), '%Y-%m')",
    "actor": f"coalesce({DRONE_ACTOR}, 'unknown')",
    "country": "coalesce(country, 'unknown')",
    "admin1": "coalesce(country, '?') || ' / ' || coalesce(admin1, 'unknown')",
    "role": "coalesce(drone_role, 'unknown')",
    "platform": "coalesce(drone_platform, 'unknown')",
    "operator": "coalesce(drone_operator, 'unknown')",
}


def drone_trends(con: duckdb.DuckDBPyConnection, by: str, where: EventFilter = EventFilter()) -> pd.DataFrame:
    """Drone incidents grouped by one dimension: counts by role and operator, fatalities, strike share."""
    if by not in GROUPINGS:
        raise UserError(f"cannot group by {by!r}: choose one of {', '.join(GROUPINGS)}", field="--by")
    condition, params = where.where()
    return con.execute(
        f"""SELECT {GROUPINGS[by]} AS {by},
                   count(*) AS incidents,
                   count(*) FILTER (drone_role = 'strike') AS strikes,
                   count(*) FILTER (drone_role = 'isr') AS isr,
                   count(*) FILTER (drone_role = 'intercepted') AS intercepted,
                   count(*) FILTER (drone_operator = 'nonstate') AS nonstate,
                   count(*) FILTER (drone_operator = 'state') AS state,
                   CAST(coalesce(sum(fatalities), 0) AS BIGINT) AS fatalities,
                   round(count(*) FILTER (drone_role = 'strike') / count(*), 3) AS strike_share
            FROM events WHERE drone AND {condition}
            GROUP BY ALL ORDER BY {"1" if by in ("year", "month") else "incidents DESC, 1"}""",
        params).df()


def monthly_by(con: duckdb.DuckDBPyConnection, column: str, where: EventFilter = EventFilter(),
               top: int = 6) -> pd.DataFrame:
    """Drone incidents per month split by `actor` or `role`, the `top` largest kept and the rest as other."""
    condition, params = where.where()
    label = GROUPINGS[column]
    return con.execute(
        f"""WITH labelled AS (
                SELECT date_trunc('month', event_date) AS month, {label} AS label
                FROM events WHERE drone AND {condition}),
            ranked AS (SELECT label, row_number() OVER (ORDER BY count(*) DESC, label) AS rank
                       FROM labelled GROUP BY label)
            SELECT month, CASE WHEN rank <= {int(top)} THEN l.label ELSE 'other' END AS {column},
                   count(*) AS incidents
            FROM labelled l JOIN ranked USING (label) GROUP BY ALL ORDER BY month, 2""",
        params).df()


def groups_per_year(con: duckdb.DuckDBPyConnection, where: EventFilter = EventFilter()) -> pd.DataFrame:
    """How many distinct armed (non-state) groups used drones each year: the spread of the capability."""
    condition, params = where.where()
    return con.execute(
        f"""SELECT year, count(DISTINCT {DRONE_ACTOR}) AS armed_groups
            FROM events WHERE drone AND drone_operator = 'nonstate' AND {condition}
            GROUP BY year ORDER BY year""",
        params).df()

