"""The canonical event table: the 31 columns of the current ACLED export plus what sahelsim derives.

Every reader (ACLED CSV, ACLED API JSON, UCDP GED) maps onto these columns, so the store, the tagger,
the trends and the calibration only ever see one shape.
"""

from __future__ import annotations

# The current ACLED export, in its order, with the DuckDB type we store.
ACLED_COLUMNS: dict[str, str] = {
    "event_id_cnty": "VARCHAR",
    "event_date": "DATE",
    "year": "INTEGER",
    "time_precision": "TINYINT",
    "disorder_type": "VARCHAR",
    "event_type": "VARCHAR",
    "sub_event_type": "VARCHAR",
    "actor1": "VARCHAR",
    "assoc_actor_1": "VARCHAR",
    "inter1": "TINYINT",
    "actor2": "VARCHAR",
    "assoc_actor_2": "VARCHAR",
    "inter2": "TINYINT",
    "interaction": "SMALLINT",
    "civilian_targeting": "VARCHAR",
    "iso": "SMALLINT",
    "region": "VARCHAR",
    "country": "VARCHAR",
    "admin1": "VARCHAR",
    "admin2": "VARCHAR",
    "admin3": "VARCHAR",
    "location": "VARCHAR",
    "latitude": "DOUBLE",
    "longitude": "DOUBLE",
    "geo_precision": "TINYINT",
    "source": "VARCHAR",
    "source_scale": "VARCHAR",
    "notes": "VARCHAR",
    "fatalities": "INTEGER",
    "tags": "VARCHAR",
    "timestamp": "BIGINT",
}

# Derived by sahelsim: normalised actors, drone tags, UCDP's death range, provenance.
DERIVED_COLUMNS: dict[str, str] = {
    "dataset": "VARCHAR",          # acled | ucdp | bundled | synthetic
    "deaths_low": "INTEGER",       # UCDP low estimate (ACLED: = fatalities)
    "deaths_high": "INTEGER",      # UCDP high estimate (ACLED: = fatalities)
    "actor1_key": "VARCHAR",
    "actor2_key": "VARCHAR",
    "drone": "BOOLEAN",
    "drone_role": "VARCHAR",       # strike | isr | intercepted
    "drone_operator": "VARCHAR",   # state | nonstate | unknown
    "drone_platform": "VARCHAR",   # quadcopter | fpv | fixed_wing | male | unknown
    "source_file": "VARCHAR",
    "source_row": "BIGINT",
    "ingest_run": "VARCHAR",
    # a pre-2019 record's own types where they were translated into today's (event_types.py)
    "event_type_original": "VARCHAR",
    "sub_event_type_original": "VARCHAR",
}

EVENT_COLUMNS: dict[str, str] = {**ACLED_COLUMNS, **DERIVED_COLUMNS}

# Free-text ACLED columns, where exports write a lone "0" for "none" (validation blanks it).
TEXT_COLUMNS = frozenset(name for name, kind in ACLED_COLUMNS.items()
                         if kind == "VARCHAR" and name != "event_id_cnty")

# ACLED's interaction codes (ACLED codebook: inter1/inter2); the API returns the labels unless inter_num=1.
INTER_LABELS: dict[int, str] = {
    1: "State forces",
    2: "Rebel groups",
    3: "Political militias",
    4: "Identity militias",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/Other forces",
}

DRONE_ROLES = ("strike", "isr", "intercepted")
DRONE_OPERATORS = ("state", "nonstate", "unknown")
DRONE_PLATFORMS = ("quadcopter", "fpv", "fixed_wing", "male", "unknown")
