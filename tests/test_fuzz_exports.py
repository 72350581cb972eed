"""Fuzzed exports: valid ACLED CSV and JSON files with their bytes or records damaged, ingested
through the command.

Whatever a file holds, `sahelsim ingest` ends with exit 0 or a one-line refusal (exit 2), never a
traceback. A completed ingest accounts for every record it read and stores every row the damage
could not have reached; damage below the header never refuses the whole file (a record the reader
cannot split is that record's problem); a refused ingest leaves the store it was given as it was.

Each kind of damage is a test of its own, so a failure names its kind and one kind's failure does
not hide another's.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from acled_files import HEADER, OLD_HEADER, event, write_acled
from fuzzing import examples, run_in_process, run_in_subprocess
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

# Ten valid events, each on one line: quoted notes with commas and quotes, French accents, blanks.
ROWS = [event(event_id_cnty=f"FZ{i:02d}", timestamp=str(1750000000 + i),
              notes=note, admin3=admin3)
        for i, (note, admin3) in enumerate([
            ("Drone strike on a JNIM base, 3 killed.", ""),
            ('Des drones "kamikazes" ont frappé le camp de Ségou.', "Ségou"),
            ("Quiet day", "Tombouctou"),
            ("Frappe de drone près de Léré; bilan inconnu.", ""),
            ("FAMa drone, then a ground assault", "Diafarabé"),
            ("Plain note", ""),
            ("Attaque au drone: « 4 morts »", "Kidal"),
            ("Commas, commas, and more commas", ""),
            ('Quote "inside" a note', "Ménaka"),
            ("Last row", ""),
        ], start=1)]
IDS = [row["event_id_cnty"] for row in ROWS]
BASE = [event(event_id_cnty="BASE1"), event(event_id_cnty="BASE2", notes="Un autre événement")]
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
SETTINGS = settings(max_examples=examples(0.02), deadline=None, suppress_health_check=HEALTH)
ONCE = settings(SETTINGS, max_examples=examples(0.01))  # kinds that rarely differ between examples


# -- the files and the store ------------------------------------------------------------------------

CSV_SHAPES: dict[str, dict] = {
    "comma": {}, "crlf": {"crlf": True}, "bom": {"bom": True}, "semicolon": {"delimiter": ";"},
    "tab": {"delimiter": "\t"}, "old-header": {"header": OLD_HEADER},
}


def export_bytes(folder: Path, shape: str) -> bytes:
    """The valid export in one of the shapes users have, as bytes."""
    return write_acled(folder / f"valid-{shape}.csv", ROWS, **CSV_SHAPES[shape]).read_bytes()


def api_page() -> dict:
    return {"status": 200, "success": True, "count": len(ROWS), "data": [dict(row) for row in ROWS]}


@pytest.fixture(scope="module")
def store_template(tmp_path_factory) -> Path:
    """A store that already holds two events, copied for each example."""
    folder = tmp_path_factory.mktemp("template")
    db = folder / "store.duckdb"
    done = run_in_process(["ingest", str(write_acled(folder / "base.csv", BASE)), "--db", str(db)])
    assert done.code == 0, done.stderr
    return db


def fresh_store(template: Path, folder: Path) -> Path:
    db = folder / "store.duckdb"
    for leftover in (db, db.with_name(db.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(template, db)
    return db


def snapshot(db: Path) -> dict[str, list]:
    """Everything the store holds, in an order that does not depend on how it was written."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: sorted(map(repr, con.execute(f"SELECT * FROM {table}").fetchall()))
                for table in ("events", "quarantine", "ingest_runs")}


def stored_ids(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {row[0] for row in con.execute("SELECT event_id_cnty FROM events").fetchall()}


# -- damage to bytes ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Damage:
    """A damaged file, and where in the original it was damaged: bytes [start, end) were replaced
    (start == end: something was inserted there)."""

    data: bytes
    start: int
    end: int
    quotes_changed: bool = False  # a quote was added or removed: later records may read differently
    truncated: bool = False


INSERTS = [b'"', b",", b";", b"\t", b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b"\xc3", b"\xe2\x82",
           b"\xed\xa0\x80", b"\xef\xbb\xbf", b'""', b'",', b"\n\n\n"]


def _replace(data: bytes, start: int, end: int, new: bytes) -> Damage:
    old = data[start:end]
    return Damage(data[:start] + new + data[end:], start, end,
                  quotes_changed=old.count(b'"') != new.count(b'"'))


@st.composite
def flipped_byte(draw, data: bytes, first: int = 0) -> Damage:
    at = draw(st.integers(first, len(data) - 1))
    return _replace(data, at, at + 1, bytes([data[at] ^ draw(st.integers(1, 255))]))


@st.composite
def truncated(draw, data: bytes, first: int = 0) -> Damage:
    at = draw(st.integers(first, len(data) - 1))
    return Damage(data[:at], at, len(data), truncated=True)


@st.composite
def inserted(draw, data: bytes, first: int = 0) -> Damage:
    at = draw(st.integers(first, len(data)))
    return _replace(data, at, at, draw(st.sampled_from(INSERTS) | st.binary(min_size=1, max_size=8)))


@st.composite
def deleted(draw, data: bytes, first: int = 0) -> Damage:
    at = draw(st.integers(first, len(data) - 1))
    return _replace(data, at, min(len(data), at + draw(st.integers(1, 40))), b"")


@st.composite
def repeated_line(draw, data: bytes, first: int = 0) -> Damage:
    """A record written twice (an export concatenated by hand, a copy-paste)."""
    lines = data.splitlines(keepends=True)
    index = draw(st.integers(min(1, len(lines) - 1), len(lines) - 1))
    at = sum(map(len, lines[:index]))
    return _replace(data, at, at, lines[index])


BYTE_DAMAGE: dict[str, Callable[[bytes, int], st.SearchStrategy[Damage]]] = {
    "flipped-byte": flipped_byte, "truncated": truncated, "inserted-bytes": inserted,
    "deleted-bytes": deleted, "repeated-line": repeated_line,
}


def _line_spans(data: bytes) -> list[tuple[int, int]]:
    """[start, end) of each line, its line break included."""
    spans, start = [], 0
    for line in data.splitlines(keepends=True):
        spans.append((start, start + len(line)))
        start += len(line)
    return spans


def untouched_ids(original: bytes, damage: Damage) -> set[str]:
    """The events whose lines the damage cannot have reached: those before the first damaged line,
    and, unless a quote changed or the file was cut, those after the last (and after the line that
    a damaged line break joined it to)."""
    spans = _line_spans(original)
    if damage.start < spans[0][1]:  # the header: every record may read differently
        return set()
    touched = [index for index, (start, end) in enumerate(spans)
               if start <= damage.start < end or start < damage.end <= end
               or damage.start <= start < damage.end]
    if not touched:  # appended after the last line
        return set(IDS)
    first, last = min(touched), max(touched)
    if damage.end == spans[last][1] and damage.end > damage.start:
        last += 1  # its line break was damaged: the next line joins it
    keep = set(IDS[:max(first - 1, 0)])  # line 0 is the header, touched when damage starts line 1
    if not (damage.quotes_changed or damage.truncated):
        keep |= set(IDS[last:])
    return keep


# -- the checks -----------------------------------------------------------------------------------

def ingest_damaged(path: Path, db: Path, via: Callable = run_in_process) -> tuple[dict | None, set]:
    """Ingest `path` into a store holding BASE; check the contract; return the summary (None when
    refused) and the ids stored afterwards."""
    before = snapshot(db)
    done = via(["ingest", str(path), "--db", str(db), "--json"])
    done.check_contract()
    if done.code != 0:
        assert snapshot(db) == before, f"a refused ingest changed the store: {done.stderr}"
        return None, stored_ids(db)
    summary = json.loads(done.stdout)
    counted = sum(summary[name] for name in ("inserted", "updated", "unchanged", "folded", "rejected"))
    assert summary["read"] == counted, summary
    return summary, stored_ids(db)


def check_damaged_csv(folder: Path, template: Path, original: bytes, damage: Damage,
                      via: Callable = run_in_process) -> None:
    path = folder / "damaged.csv"
    path.write_bytes(damage.data)
    db = fresh_store(template, folder)
    summary, ids = ingest_damaged(path, db, via)
    header_end = _line_spans(original)[0][1]
    below_header = damage.start >= header_end
    near = damage.data[max(0, damage.start - 20):damage.start + 30]
    shown = f"damage at bytes {damage.start}..{damage.end}: {near!r}"
    if below_header:
        assert summary is not None, f"a damaged record refused the whole file ({shown})"
    if summary is not None:
        assert {"BASE1", "BASE2"} <= ids
        lost = untouched_ids(original, damage) - ids
        assert not lost, f"untouched rows {sorted(lost)} were not stored ({shown})"


def test_the_valid_exports_are_stored_whole(tmp_path, store_template):
    """The baseline the damage is measured against: every row of every shape is a valid event."""
    paths = []
    for shape in CSV_SHAPES:
        paths.append(tmp_path / f"{shape}.csv")
        paths[-1].write_bytes(export_bytes(tmp_path, shape))
    done = run_in_process(["ingest", *map(str, paths), "--db",
                           str(fresh_store(store_template, tmp_path)), "--json"])
    summary = json.loads(done.stdout)
    assert (summary["inserted"], summary["unchanged"]) == (len(ROWS), len(ROWS) * (len(paths) - 1))


@pytest.mark.parametrize("kind", list(BYTE_DAMAGE))
@SETTINGS
@given(data=st.data(), shape=st.sampled_from(list(CSV_SHAPES)))
def test_damaged_csv_records(tmp_path_factory, store_template, kind, data, shape):
    """Bytes damaged below the header: the records there may be lost to the quarantine, no others."""
    folder = tmp_path_factory.mktemp(kind)
    original = export_bytes(folder, shape)
    body = original.index(b"\n") + 1
    check_damaged_csv(folder, store_template, original, data.draw(BYTE_DAMAGE[kind](original, body)))


@pytest.mark.parametrize("kind", ["flipped-byte", "inserted-bytes", "deleted-bytes"])
@ONCE
@given(data=st.data(), shape=st.sampled_from(list(CSV_SHAPES)))
def test_damaged_csv_header_bytes(tmp_path_factory, store_template, kind, data, shape):
    """Bytes damaged in the header: stored as the header now reads, or refused in one line."""
    folder = tmp_path_factory.mktemp(kind)
    original = export_bytes(folder, shape)
    header = original[:original.index(b"\n") + 1]
    damage = data.draw(BYTE_DAMAGE[kind](header, 0))
    check_damaged_csv(folder, store_template, original,
                      Damage(damage.data + original[len(header):], damage.start, damage.end))


# -- damage to the header -------------------------------------------------------------------------

HEADER_DAMAGE = {
    "duplicated-field": lambda names, at, other: names[:at] + [names[other]] + names[at:],
    "dropped-field": lambda names, at, other: names[:at] + names[at + 1:],
    "renamed-field": lambda names, at, other: names[:at] + [names[other] + "_x"] + names[at + 1:],
    "blank-field": lambda names, at, other: names[:at] + [""] + names[at + 1:],
    "swapped-fields": lambda names, at, other: [names[other] if i == at else names[at] if i == other
                                                else name for i, name in enumerate(names)],
}


@pytest.mark.parametrize("kind", list(HEADER_DAMAGE))
@ONCE
@given(shape=st.sampled_from(list(CSV_SHAPES)), at=st.integers(0, 30), other=st.integers(1, 30))
def test_damaged_header(tmp_path_factory, store_template, kind, shape, at, other):
    """A header with a field duplicated, dropped, renamed, blank or moved: the rows no longer say
    what their fields are, so nothing is promised about them but the contract and the accounting."""
    folder = tmp_path_factory.mktemp(kind)
    original = export_bytes(folder, shape)
    options = CSV_SHAPES[shape]
    header = options.get("header", HEADER)
    names = HEADER_DAMAGE[kind](list(header), at % len(header), other % len(header))
    line = options.get("delimiter", ",").join(names) + ("\r\n" if options.get("crlf") else "\n")
    bom = "\ufeff" if options.get("bom") else ""
    end = original.index(b"\n") + 1
    check_damaged_csv(folder, store_template, original,
                      Damage((bom + line).encode() + original[end:], 0, end))


# -- huge fields ----------------------------------------------------------------------------------

@settings(max_examples=examples(0.02), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(row=st.integers(0, len(ROWS) - 1), size=st.sampled_from([10_000, 200_000, 1_000_000, 3_000_000]),
       field=st.sampled_from(["notes", "source", "actor1", "event_id_cnty", "latitude"]),
       quoted=st.booleans())
def test_a_huge_field_costs_only_its_record(tmp_path_factory, store_template, row, size, field, quoted):
    folder = tmp_path_factory.mktemp("huge")
    original = export_bytes(folder, "comma")
    rows = [dict(r) for r in ROWS]
    rows[row][field] = ("x, " if quoted else "x") * (size // (3 if quoted else 1))
    damaged = write_acled(folder / "huge.csv", rows).read_bytes()
    spans = _line_spans(original)
    start, end = spans[row + 1]
    check_damaged_csv(folder, store_template, original, Damage(damaged, start, end))


# -- damage to saved API output -------------------------------------------------------------------

ODD_VALUES = st.one_of(
    st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.none(), st.text(max_size=30), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from(["", " ", "0", "\x00", "NaN", "1e309", "-1", "2025-02-30", "9" * 40, "x" * 100_000]),
)
FIELDS = list(ROWS[0])


@st.composite
def damaged_records(draw) -> tuple[list, set[str]]:
    """Records with one of them damaged (a field of the wrong type, dropped or renamed; the record
    not an object at all); returns them and the ids of the records left alone."""
    records = [dict(row) for row in ROWS]
    at = draw(st.integers(0, len(records) - 1))
    how = draw(st.sampled_from(["value", "dropped", "renamed", "not-an-object", "extra"]))
    field = draw(st.sampled_from(FIELDS))
    if how == "value":
        records[at][field] = draw(ODD_VALUES)
    elif how == "dropped":
        del records[at][field]
    elif how == "renamed":
        records[at][field.upper() if draw(st.booleans()) else f" {field}"] = records[at].pop(field)
    elif how == "extra":
        records[at][draw(st.text(max_size=10))] = draw(ODD_VALUES)
    else:
        records[at] = draw(ODD_VALUES)
    return records, set(IDS) - {IDS[at]}


@st.composite
def deeply_nested(draw) -> tuple[str, set[str]]:
    """A value nested thousands of levels deep in one record, as JSON text."""
    depth = draw(st.sampled_from([2_000, 100_000]))
    records = [dict(row) for row in ROWS]
    at = draw(st.integers(0, len(records) - 1))
    records[at]["notes"] = "@DEEP@"
    text = json.dumps({"status": 200, "data": records}).replace('"@DEEP@"', "[" * depth + "]" * depth)
    return text, set(IDS) - {IDS[at]}


@SETTINGS
@given(damaged=damaged_records(), envelope=st.booleans())
def test_damaged_api_records(tmp_path_factory, store_template, damaged, envelope):
    """Saved API output whose JSON is sound but one record is not: the others are stored."""
    folder = tmp_path_factory.mktemp("json")
    records, untouched = damaged
    path = folder / "page.json"
    path.write_text(json.dumps({**api_page(), "data": records} if envelope else records,
                               allow_nan=True), encoding="utf-8")
    summary, ids = ingest_damaged(path, fresh_store(store_template, folder))
    assert summary is not None, "one damaged record refused the whole page"
    assert untouched <= ids


@SETTINGS
@given(damaged=deeply_nested())
def test_deeply_nested_api_output(tmp_path_factory, store_template, damaged):
    folder = tmp_path_factory.mktemp("deep")
    text, _ = damaged
    path = folder / "page.json"
    path.write_text(text, encoding="utf-8")
    ingest_damaged(path, fresh_store(store_template, folder))


@SETTINGS
@given(data=st.data(), kind=st.sampled_from(["flipped-byte", "truncated", "inserted-bytes",
                                             "deleted-bytes"]))
def test_damaged_api_bytes(tmp_path_factory, store_template, data, kind):
    """Saved API output with its bytes damaged: stored in full, or refused as not JSON."""
    folder = tmp_path_factory.mktemp("jsonbytes")
    original = json.dumps(api_page(), ensure_ascii=False).encode()
    damage = data.draw(BYTE_DAMAGE[kind](original, 0))
    path = folder / "page.json"
    path.write_bytes(damage.data)
    ingest_damaged(path, fresh_store(store_template, folder))


# -- the same, through `python -m sahelsim` -------------------------------------------------------

@settings(max_examples=examples(0.03), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), shape=st.sampled_from(list(CSV_SHAPES)), kind=st.sampled_from(list(BYTE_DAMAGE)))
def test_damaged_csv_through_the_installed_command(tmp_path_factory, store_template, data, shape, kind):
    """A smaller share of the damaged files through a process of its own, as users run it."""
    folder = tmp_path_factory.mktemp("cli")
    original = export_bytes(folder, shape)
    body = original.index(b"\n") + 1
    check_damaged_csv(folder, store_template, original, data.draw(BYTE_DAMAGE[kind](original, body)),
                      via=lambda argv: run_in_subprocess(argv, cwd=folder))
