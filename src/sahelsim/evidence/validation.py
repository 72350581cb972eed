"""Validation: turn a staged file's raw text into canonical, typed events, or a reason to quarantine.

All of it is SQL that DuckDB runs over the whole staging table at once. Each canonical column gets a
parse expression; each way a record can be wrong is a `Check` that compares the parsed value with the
raw text ("there was a date, but it could not be read"). The first failing check names the field and
the reason that go into the quarantine table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from sahelsim.evidence import dates
from sahelsim.evidence.event_types import Translation, translations
from sahelsim.evidence.monadic import is_monadic
from sahelsim.evidence.readers import Staged, quoted_name
from sahelsim.evidence.schema import ACLED_COLUMNS, EVENT_COLUMNS, TEXT_COLUMNS

# ACLED's inter labels (the API without inter_num=1, newer exports) onto its numeric codes.
INTER_PATTERNS = [
    ("state force", 1), ("rebel group", 2), ("political militia", 3), ("identity militia", 4),
    ("rioter", 5), ("protester", 6), ("civilian", 7), ("external/other force", 8),
]


@dataclass(frozen=True)
class Check:
    """One way a record can be wrong: a SQL condition over raw (`r`) and parsed (`p`) columns."""

    field: str
    bad: str
    message: str  # a SQL expression giving the one-line reason


def _raw(staged: Staged, name: str) -> str:
    """The text of a column, surrounding spaces removed, blank as NULL; NULL when the file has no
    such column.

    `trim` copies every value it is given, which over thirty columns was a quarter of the time
    validation takes; two LIKE tests find the few values with a space to remove far more cheaply.
    """
    if name not in staged.columns:
        return "NULL"
    text = f"r.{quoted_name(name)}"
    return f"nullif(CASE WHEN {text} LIKE ' %' OR {text} LIKE '% ' THEN trim({text}) ELSE {text} END, '')"


def _text(staged: Staged, name: str) -> str:
    """A text column as `_raw` gives it, and a lone `0` blank too: exports write it as a placeholder
    for a missing actor, place or source, and no actor, place or note is called "0"."""
    return f"nullif({_raw(staged, name)}, '0')"


def _cast_input(staged: Staged, name: str) -> str:
    """The text of a column as it is given to a DuckDB cast, which skips surrounding spaces itself.

    A value of spaces alone reaches the cast and fails it; the checks read that as blank
    (`_bad_value`), not as a bad value.
    """
    return f"nullif(r.{quoted_name(name)}, '')" if name in staged.columns else "NULL"


def _bad_value(staged: Staged, name: str, wrong: str) -> str:
    """A check's condition: `wrong` holds for the parsed value, and the column had a value at all.

    `wrong` is tested first: the condition is part of a CASE, where DuckDB reads the text again only
    for the rows whose parse went wrong.
    """
    return f"{wrong} AND {_raw(staged, name)} IS NOT NULL"


def _inter(code: str, label: str) -> str:
    """An inter code from its number (`code`, cast input) or else its label (`label`, trimmed text)."""
    labels = " ".join(f"WHEN lower({label}) LIKE '{prefix}%' THEN {number}"
                      for prefix, number in INTER_PATTERNS)
    return (f"CASE WHEN {code} IS NULL THEN NULL "
            f"WHEN try_cast({code} AS TINYINT) BETWEEN 0 AND 8 THEN try_cast({code} AS TINYINT) "
            f"{labels} END")


def _timestamp(text: str) -> str:
    return f"coalesce(try_cast({text} AS BIGINT), epoch(try_cast({text} AS TIMESTAMP))::BIGINT)"


def _precision(text: str) -> str:
    return f"CASE WHEN try_cast({text} AS TINYINT) BETWEEN 1 AND 3 THEN try_cast({text} AS TINYINT) END"


def acled_parsers(staged: Staged, date_order: str | None = None) -> dict[str, str]:
    """Parse expressions for every canonical ACLED column, from an ACLED export or API page;
    numeric dates read in `date_order` (None: not read yet, see `dates.decide_order`).

    A monadic file's interaction code is taken as written (NULL if none): the other actor, from the
    event's other row, is only known once the rows are folded (`monadic.py`), which completes it.
    """
    raw = {name: _raw(staged, name) for name in ACLED_COLUMNS}
    cast = {name: _cast_input(staged, name) for name in ACLED_COLUMNS}
    # text columns as they are; every typed one is replaced below, parsed from its cast input
    parsed = {name: _text(staged, name) if name in TEXT_COLUMNS else raw[name] for name in ACLED_COLUMNS}
    inter1, inter2 = _inter(cast["inter1"], raw["inter1"]), _inter(cast["inter2"], raw["inter2"])
    interaction = f"try_cast({cast['interaction']} AS SMALLINT)"
    parsed.update({
        "event_date": dates.date_sql(cast["event_date"], date_order),
        "year": f"year({dates.date_sql(cast['event_date'], date_order)})",
        "time_precision": _precision(cast["time_precision"]),
        "geo_precision": _precision(cast["geo_precision"]),
        "inter1": inter1,
        "inter2": inter2,
        "interaction": interaction if is_monadic(staged.columns)
                       else f"coalesce({interaction}, {interaction_sql(inter1, inter2)})",
        "iso": f"try_cast({cast['iso']} AS SMALLINT)",
        "latitude": f"try_cast({cast['latitude']} AS DOUBLE)",
        "longitude": f"try_cast({cast['longitude']} AS DOUBLE)",
        "fatalities": _whole(cast["fatalities"]),
        "timestamp": _timestamp(cast["timestamp"]),
    })
    parsed["event_type_original"] = parsed["sub_event_type_original"] = "NULL"  # translate_event_types
    parsed["dataset"] = dataset_sql(parsed["source"], parsed["tags"])
    parsed["deaths_low"] = parsed["deaths_high"] = parsed["fatalities"]
    return parsed


def interaction_sql(inter1: str, inter2: str) -> str:
    """ACLED's interaction code from the two inter codes: the lower first (12, never 21), a lone
    actor's code followed by 0 (20: a rebel group acting alone)."""
    return (f"(least({inter1}, coalesce(nullif({inter2}, 0), {inter1})) * 10 "
            f"+ CASE WHEN coalesce({inter2}, 0) = 0 THEN 0 ELSE greatest({inter1}, {inter2}) END)::SMALLINT")


def dataset_sql(source: str, tags: str) -> str:
    """Which dataset a record belongs to, from its source and tags."""
    return (f"CASE WHEN {source} ILIKE 'synthetic%' THEN 'synthetic' "
            f"WHEN {tags} ILIKE '%sahelsim-curated%' THEN 'curated' ELSE 'acled' END")


def translate_event_types(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Give the records of pre-2019 types in `table` today's `event_type` and `sub_event_type`,
    their own in the two `*_original` columns (`event_types.py` has the rules).

    An UPDATE of the validated table rather than part of its query: today's records, nearly all of
    any export, then pay one filter on the type instead of every rule, and the rows keep their place.
    The actors' types come from inter1, inter2 and the digits of the interaction code.
    """
    rules = translations()
    actor_types = ["inter1", "inter2", "interaction // 10", "interaction % 10"]
    matches = [(_translates(rule, actor_types), rule) for rule in rules]
    new_type = " ".join(f"WHEN {match} THEN {_quote(rule.event_type)}" for match, rule in matches)
    new_sub = " ".join(
        f"WHEN {match} THEN {_quote(rule.sub_event_type) if rule.sub_event_type else 'sub_event_type'}"
        for match, rule in matches)
    translated = " OR ".join(f"({match})" for match, _ in matches)
    old = ", ".join(sorted({_quote(rule.old_event_type) for rule in rules}))
    con.execute(f"""UPDATE {table} SET event_type = CASE {new_type} END,
                           sub_event_type = CASE {new_sub} END,
                           event_type_original = event_type, sub_event_type_original = sub_event_type
                    WHERE event_type IN ({old}) AND ({translated})""")


def _translates(rule: Translation, actor_types: list[str]) -> str:
    """SQL: the record falls under `rule`."""
    conditions = [f"event_type = {_quote(rule.old_event_type)}"]
    if not rule.any_sub_event_type:
        conditions.append("sub_event_type IS NULL")
    if rule.actor_type is not None:
        conditions.append(f"{rule.actor_type} IN ({', '.join(actor_types)})")
    return " AND ".join(conditions)


def _whole(text: str) -> str:
    """SQL for a whole number, NULL for anything else: DuckDB's cast to INTEGER rounds '2.5' to 3."""
    return (f"CASE WHEN try_cast({text} AS DOUBLE) = try_cast({text} AS INTEGER) "
            f"THEN try_cast({text} AS INTEGER) END")


def acled_checks(staged: Staged, date_order: str | None = None) -> list[Check]:
    """What makes an ACLED record unusable, in the order it is reported."""
    checks = [
        Check("event_id_cnty", "p.event_id_cnty IS NULL", "'missing event id'"),
        *_date_checks(staged, "event_date", "acled", date_order),
        *_common_checks(staged, deaths="fatalities"),
        Check("timestamp", _bad_value(staged, "timestamp", "p.timestamp IS NULL"),
              f"format('timestamp {{}} is not a unix time', {_raw(staged, 'timestamp')})"),
    ]
    for field in ("inter1", "inter2"):
        checks.append(Check(field, _bad_value(staged, field, f"p.{field} IS NULL"),
                            f"format('unknown actor type {{}}', {_raw(staged, field)})"))
    for field in ("time_precision", "geo_precision"):
        checks.append(Check(field, _bad_value(staged, field, f"p.{field} IS NULL"),
                            f"format('{field} {{}} is not 1, 2 or 3', {_raw(staged, field)})"))
    return checks


def ucdp_parsers(staged: Staged) -> dict[str, str]:
    """UCDP GED onto the canonical table: its own ids, best estimate as fatalities, low/high kept.

    Reads only `readers.UCDP_COLUMNS`: the staging keeps no other column."""
    raw = {name: _raw(staged, name) for name in staged.columns}
    get = raw.get
    violence = get("type_of_violence", "NULL")
    side_a, side_b = get("side_a", "NULL"), get("side_b", "NULL")
    parsed = {name: "NULL" for name in ACLED_COLUMNS}
    date = dates.date_sql(get("date_start", "NULL"), None)
    parsed.update({
        "event_id_cnty": f"'UCDP-' || {get('id', 'NULL')}",
        "event_date": date,
        "year": f"year({date})",
        "time_precision": f"least(greatest(try_cast({get('date_prec', 'NULL')} AS TINYINT), 1), 3)",
        "disorder_type": "'Political violence'",
        "event_type": f"CASE {violence} WHEN '3' THEN 'Violence against civilians' ELSE 'Battles' END",
        "sub_event_type": f"CASE {violence} WHEN '3' THEN 'Attack' ELSE 'Armed clash' END",
        "actor1": side_a,
        "actor2": side_b,
        "inter1": f"CASE WHEN {side_a} ILIKE 'Government of%' THEN 1 ELSE 2 END",
        "inter2": f"CASE WHEN {violence} = '3' THEN 7 WHEN {side_b} ILIKE 'Government of%' THEN 1 "
                  f"ELSE 2 END",
        "country": get("country", "NULL"),
        "region": get("region", "NULL"),
        "admin1": get("adm_1", "NULL"),
        "admin2": get("adm_2", "NULL"),
        "location": get("where_coordinates", "NULL"),
        "latitude": f"try_cast({get('latitude', 'NULL')} AS DOUBLE)",
        "longitude": f"try_cast({get('longitude', 'NULL')} AS DOUBLE)",
        "geo_precision": f"CASE WHEN try_cast({get('where_prec', 'NULL')} AS INT) = 1 THEN 1 "
                         f"WHEN try_cast({get('where_prec', 'NULL')} AS INT) <= 3 THEN 2 ELSE 3 END",
        "source": get("source_office", "NULL"),
        "notes": f"concat_ws(' ', {get('source_headline', 'NULL')}, {get('where_description', 'NULL')})",
        "fatalities": _whole(get("best", "NULL")),
        "tags": "'ucdp-ged'",
        "timestamp": "0",
    })
    parsed["interaction"] = f"(least({parsed['inter1']}, {parsed['inter2']}) * 10 + " \
                            f"greatest({parsed['inter1']}, {parsed['inter2']}))::SMALLINT"
    parsed["event_type_original"] = parsed["sub_event_type_original"] = "NULL"
    parsed["dataset"] = "'ucdp'"
    parsed["deaths_low"] = _whole(get("low", "NULL"))
    parsed["deaths_high"] = _whole(get("high", "NULL"))
    return parsed


def ucdp_checks(staged: Staged) -> list[Check]:
    """What makes a UCDP GED record unusable."""
    low, high = _raw(staged, "low"), _raw(staged, "high")
    return [
        Check("id", f"{_raw(staged, 'id')} IS NULL", "'missing event id'"),
        *_date_checks(staged, "date_start", "ucdp", None),
        *_common_checks(staged, deaths="best"),
        Check("low",
              _bad_value(staged, "low", "NOT coalesce(p.deaths_low BETWEEN 0 AND p.fatalities, false)"),
              f"format('low estimate {{}} is not a whole number between 0 and the best estimate', {low})"),
        Check("high", _bad_value(staged, "high", "NOT coalesce(p.deaths_high >= p.fatalities, false)"),
              f"format('high estimate {{}} is not a whole number of at least the best estimate', {high})"),
    ]


def _date_checks(staged: Staged, field: str, dataset: str, order: str | None) -> list[Check]:
    """A date that is missing, unreadable, or cannot be true: before its dataset began, after the day
    of ingest, or in another year than the record's own `year` (where the file has one).

    With no `order` an ACLED numeric date is left undecided (`dates.UNDECIDED`) for ingest to decide;
    with one, a numeric date that does not read in it says so.
    """
    raw = _raw(staged, field)
    name, start = dates.DATASET_START[dataset]
    today = dt.date.today()
    unreadable = f"format('unreadable date {{}}', {raw})"
    if order:
        unreadable += (f" || CASE WHEN {dates.numeric_sql(raw)} "
                       f"THEN ' (numeric dates read {dates.ORDER_WORDS[order]})' ELSE '' END")
    checks = [Check(field, f"p.event_date IS NULL AND {raw} IS NULL", "'missing date'")]
    if dataset == "acled" and not order:
        checks.append(Check(field, f"p.event_date IS NULL AND {dates.numeric_sql(raw)}",
                            f"'{dates.UNDECIDED}' || {raw}"))
    checks += [
        Check(field, "p.event_date IS NULL", unreadable),
        Check(field, f"p.event_date < DATE '{start}'",
              f"format('date {{}} is before {name} began ({start})', event_date)"),
        Check(field, f"p.event_date > DATE '{today}'",
              f"format('date {{}} is after the day of ingest ({today})', event_date)"),
    ]
    if "year" in staged.columns:
        year = _raw(staged, "year")
        checks.append(Check(field, _bad_value(
            staged, "year", f"p.year IS DISTINCT FROM try_cast({_cast_input(staged, 'year')} AS INTEGER)"),
            f"format('date {{}} disagrees with year {{}}', event_date, {year})"))
    return checks


def _common_checks(staged: Staged, *, deaths: str) -> list[Check]:
    raw_lat = _raw(staged, "latitude")
    raw_lon, raw_deaths = _raw(staged, "longitude"), _raw(staged, deaths)
    return [
        Check("latitude",
              _bad_value(staged, "latitude", "NOT coalesce(p.latitude BETWEEN -90 AND 90, false)"),
              f"format('latitude {{}} is not a number between -90 and 90', {raw_lat})"),
        Check("longitude",
              _bad_value(staged, "longitude", "NOT coalesce(p.longitude BETWEEN -180 AND 180, false)"),
              f"format('longitude {{}} is not a number between -180 and 180', {raw_lon})"),
        Check(deaths, _bad_value(staged, deaths, "NOT coalesce(p.fatalities >= 0, false)"),
              f"format('fatalities {{}} is not a whole number of 0 or more', {raw_deaths})"),
    ]


def validated_sql(staged: Staged, date_order: str | None = None) -> str:
    """A query over the staging table giving typed canonical columns plus `_field`, `_reason`, `_raw`.

    `date_order` is the order of the file's numeric dates ("dayfirst" or "monthfirst"), None while
    it is not known.

    `_reason` is NULL for a good record; a rejected one keeps its fields as JSON in `_raw`. Rows come
    out in the staging order and nothing here reorders them, so the table they are written to keeps
    file order in its `rowid`.
    """
    parsers = ucdp_parsers(staged) if staged.kind == "ucdp" else acled_parsers(staged, date_order)
    checks = ucdp_checks(staged) if staged.kind == "ucdp" else acled_checks(staged, date_order)
    typed = ", ".join(f"CAST({expr} AS {EVENT_COLUMNS[name]}) AS {name}" for name, expr in parsers.items())
    # The checks run once per record, giving the number of the first that fails; field and reason
    # are looked up from it, the reason's text built only for the records that fail.
    first_failing = " ".join(f"WHEN {c.bad} THEN {i}" for i, c in enumerate(checks))
    fields = "[" + ", ".join(_quote(c.field) for c in checks) + "]"
    reasons = " ".join(f"WHEN {i} THEN {c.message}" for i, c in enumerate(checks))
    return f"""
        SELECT * EXCLUDE (r, _check), {fields}[_check + 1] AS _field,
               CASE _check {reasons} END AS _reason,
               CASE WHEN _check IS NOT NULL THEN to_json(r) END AS _raw
        FROM (SELECT r, p.*, CASE {first_failing} END AS _check
              FROM {staged.source} AS r, LATERAL (SELECT {typed}) AS p)"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
