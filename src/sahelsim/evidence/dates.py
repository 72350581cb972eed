"""Event dates: every layout ACLED has shipped, read as the day it means, or not at all.

ACLED has written dates many ways (2022-09-23, 21 March 2020, 9-May-20, 01-January-2015,
December 31, 2019), French-language sources add their month names, and a spreadsheet that re-saves
an export writes 05/09/2020, whose day and month only the rest of the file can tell apart. All of it
is SQL that DuckDB runs over a whole file at once:

- ISO dates, by far the most common, take DuckDB's fast cast;
- any other text is told by its punctuation, normalised (lower case; an English or French month
  name, full or abbreviated, accented or not, becomes the English abbreviation DuckDB's `strptime`
  reads; a two-digit year gets its century) and read with its layout's one format;
- numeric dates (day and month both numbers) are read in one order for the whole file, the order the
  file itself shows (`decide_order`) or the one the user states: a row never picks its own.

A date the text gives is still refused when it cannot be true: before its dataset began, or after the
day of ingest (the checks in validation.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from sahelsim.errors import UserError
from sahelsim.evidence.readers import Staged

DAYFIRST, MONTHFIRST = "dayfirst", "monthfirst"
ORDER_WORDS = {DAYFIRST: "day first", MONTHFIRST: "month first"}

# The first day each dataset covers: an event dated earlier is a misread date, not an old event.
DATASET_START = {"acled": ("ACLED", dt.date(1997, 1, 1)), "ucdp": ("UCDP GED", dt.date(1989, 1, 1))}

# A two-digit year from 97 on is 19yy, any other 20yy: ACLED begins in 1997, so 97-99 can only be the
# 1990s, and 20yy beyond this year is refused as after the day of ingest rather than read as 19yy.
CENTURY_PIVOT = 97

# Month names, accents removed, onto the English abbreviation that `strptime`'s %b reads.
MONTH_NAMES = {
    "jan": ("january", "janvier", "janv"), "feb": ("february", "fevrier", "fevr", "fev"),
    "mar": ("march", "mars"), "apr": ("april", "avril", "avr"), "may": ("mai",),
    "jun": ("june", "juin"), "jul": ("july", "juillet", "juil"), "aug": ("august", "aout"),
    "sep": ("september", "septembre", "sept"), "oct": ("october", "octobre"),
    "nov": ("november", "novembre"), "dec": ("december", "decembre"),
}

# Formats of the numeric layouts, slash and dash, in each order.
NUMERIC_FORMATS = {DAYFIRST: ("%d/%m/%Y", "%d-%m-%Y"), MONTHFIRST: ("%m/%d/%Y", "%m-%d-%Y")}
NUMERIC_DATE = r"^\d{1,2}[/-]\d{1,2}[/-]\d{2}(\d{2})?$"

# How many records at the head of a file show whether it has numeric dates before it is validated.
LEADING_RECORDS = 1000

# The reason validation gives a numeric date while the file's order is not known yet; such a record
# never reaches the quarantine: ingest decides the order and validates the file again, or refuses it.
UNDECIDED = "numeric date of undecided order: "


def check_order(order: str | None) -> None:
    """A stated order is one of the two there are."""
    if order not in (None, *ORDER_WORDS):
        raise UserError(f'date_order must be "{DAYFIRST}" or "{MONTHFIRST}", not {order!r}')


def date_sql(text: str, order: str | None) -> str:
    """SQL for the DATE a text gives (NULL when it gives none), numeric dates read in `order`
    (None: numeric dates give NULL).

    Each layout is told by its punctuation and read with its one format: `strptime` is cheap when it
    reads a date and costly when it fails, so trying a list of formats on every row would cost more
    than the rest of validation.
    """
    norm = _normalised(text)
    # the tests read the text as given, so that each row is normalised once, in its own branch
    return (f"CASE WHEN {text} LIKE '____-__-__%' THEN try_cast({text} AS DATE) "  # ISO, most dates
            f"WHEN {text} LIKE '%/%' OR regexp_matches({text}, '^\\s*\\d{{1,2}}-\\d{{1,2}}-') "
            f"THEN {_numeric_date(text, order)} "
            f"WHEN {text} LIKE '%,%' THEN try_strptime({norm}, '%b %d, %Y')::DATE "
            f"WHEN regexp_matches({text}, '^\\s*\\d{{4}}-') THEN try_cast(trim({text}) AS DATE) "
            f"WHEN {text} LIKE '%-%' THEN try_strptime({norm}, '%d-%b-%Y')::DATE "
            f"ELSE try_strptime({norm}, '%d %b %Y')::DATE END")


def _numeric_date(text: str, order: str | None) -> str:
    """SQL for the DATE of a numeric date, slash or dash, in `order` (None: NULL)."""
    if not order:
        return "NULL::DATE"
    slash, dash = NUMERIC_FORMATS[order]
    full = _four_digit_year(f"trim({text})")
    return (f"CASE WHEN {text} LIKE '%/%' THEN try_strptime({full}, '{slash}') "
            f"ELSE try_strptime({full}, '{dash}') END::DATE")


def _normalised(text: str) -> str:
    """The text in a layout `strptime` reads: month name abbreviated in English, four-digit year."""
    lowered = f"lower(trim({text}))"
    names = ", ".join(f"'{name}': '{abbreviation}'" for abbreviation, names in MONTH_NAMES.items()
                      for name in (abbreviation, *names))
    month = f"MAP {{{names}}}[strip_accents(regexp_extract({lowered}, '\\pL{{3,}}'))]"
    # an unknown word becomes '?', which no format reads; "1er" (the first, in French) becomes 1
    named = f"replace(regexp_replace({lowered}, '\\pL{{3,}}\\.?', coalesce({month}, '?')), 'er ', ' ')"
    return _four_digit_year(named)


def _four_digit_year(text: str) -> str:
    """SQL: the text with a two-digit year at its end given its century (see CENTURY_PIVOT)."""
    short_year = r"^(\d{1,2}[-/ ][a-z0-9]+[-/ ])"
    pivot = CENTURY_PIVOT // 10, CENTURY_PIVOT % 10
    nineties = f"regexp_replace({text}, '{short_year}({pivot[0]}[{pivot[1]}-9])$', '\\119\\2')"
    return f"regexp_replace({nineties}, '{short_year}(\\d\\d)$', '\\120\\2')"


def numeric_sql(text: str) -> str:
    """SQL: the text is a numeric date such as 05/09/2020 or 31-12-19."""
    return f"regexp_matches(trim({text}), '{NUMERIC_DATE}')"


def leading_order(con: duckdb.DuckDBPyConnection, path: Path, staged: Staged) -> str | None:
    """The order of a file whose first records have numeric dates, decided before validation from
    a scan of its date and timestamp columns alone, so that the file is validated once.

    None when the first records have none (the usual case, found at no cost: validation leaves any
    further down undecided, see `undecided_records`), or when the file is to be refused, which needs
    the record numbers validation gives.
    """
    if staged.kind != "acled" or "event_date" not in staged.columns:
        return None
    numeric = numeric_sql("event_date")
    leading = con.execute(f"SELECT count(*) FROM (SELECT event_date FROM {staged.source} "
                          f"LIMIT {LEADING_RECORDS}) WHERE {numeric}").fetchall()[0][0]
    if not leading:
        return None
    stamp = "timestamp" if "timestamp" in staged.columns else "NULL"
    return decide_order(con, path, f"""SELECT NULL::BIGINT AS row, trim(event_date) AS text,
        try_cast({stamp} AS BIGINT) AS "timestamp" FROM {staged.source} WHERE {numeric}""")


def undecided_records(row: str, join: str) -> str:
    """The records of the `validated` table whose numeric date validation left undecided, numbered
    by `row` (SQL over the table `v`; `join` what it needs)."""
    return (f"""SELECT {row} AS row, substr(v._reason, {len(UNDECIDED) + 1}) AS text, v."timestamp"
            FROM validated v {join} WHERE starts_with(v._reason, '{UNDECIDED}')""")


def decide_order(con: duckdb.DuckDBPyConnection, path: Path, records: str) -> str | None:
    """The day/month order of a file's numeric dates, given as `records` (row, text, timestamp).

    A day above 12 makes the file day first, a second number above 12 month first, both make it
    refused; else an order under which a record would be dated more than a day after its own
    `timestamp` (when ACLED last changed it; the day allows for time zones) is ruled out. When every
    date reads the same either way, any order does; when nothing tells, the file is refused. The
    `year` column cannot help: both orders give the same year.

    None when there are no numeric dates, or when the file is to be refused but `records` are not
    numbered (row NULL): a refusal names rows.
    """
    day, month = "first BETWEEN 13 AND 31", "second BETWEEN 13 AND 31"  # what only one order reads
    either = "first <> second AND least(first, second) >= 1 AND greatest(first, second) <= 12"
    found = con.execute(
        f"""WITH numbers AS (
            SELECT *, try_cast(regexp_extract(text, '^(\\d+)', 1) AS INTEGER) AS first,
                   try_cast(regexp_extract(text, '^\\d+[/-](\\d+)', 1) AS INTEGER) AS second,
                   {_numeric_date('text', DAYFIRST)} AS as_dayfirst,
                   {_numeric_date('text', MONTHFIRST)} AS as_monthfirst,
                   DATE '1970-01-01' + CAST(floor("timestamp" / 86400) AS INTEGER) + 1 AS latest
            FROM ({records})
        )
        SELECT count(*), count(row) = count(*),
               count(*) FILTER ({day}), min(row) FILTER ({day}), arg_min(text, row) FILTER ({day}),
               count(*) FILTER ({month}), min(row) FILTER ({month}), arg_min(text, row) FILTER ({month}),
               count(*) FILTER ({either}), min(row) FILTER ({either}), arg_min(text, row) FILTER ({either}),
               coalesce(bool_or(as_dayfirst > latest), false),
               coalesce(bool_or(as_monthfirst > latest), false)
        FROM numbers""").fetchall()[0]
    count, numbered, days, day_row, day_text, months, month_row, month_text, \
        opens, open_row, open_text, day_late, month_late = found
    if days and months:
        refusal = UserError(f"numeric dates in both orders: row {day_row} ({day_text}) is day first, "
                            f"row {month_row} ({month_text}) month first", file=str(path), field="event_date")
    elif days or months:
        return DAYFIRST if days else MONTHFIRST
    elif not count:
        return None
    elif not opens:  # every numeric date reads the same either way
        return DAYFIRST
    elif day_late != month_late:
        return MONTHFIRST if day_late else DAYFIRST
    else:
        refusal = UserError(
            f"{open_text} reads day first or month first and no other record tells which; state it "
            f'with --dayfirst or --monthfirst (command line) or date_order="{DAYFIRST}" or '
            f'"{MONTHFIRST}" (ingest())', file=str(path), row=open_row, field="event_date")
    if numbered:
        raise refusal
    return None
