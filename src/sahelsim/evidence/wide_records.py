"""Over-wide records: CSV records with more fields than the header, read without DuckDB's cost.

DuckDB's CSV reader lists a rejected record once per surplus field, each time with a copy of the
whole line (up to 10,000 bytes), and holds the list outside its memory limit until the read ends:
30 records of 5,000 surplus fields took 3.4 GB. No reader option avoids it (`strict_mode=false`
drops surplus fields silently and reads broken quotes loosely; `rejects_limit` caps the table, not
the list). So a file is first looked over cheaply (`CrowdedLines`): a line with at least twice as
many delimiters as the header has fields may be an over-wide record, and so may a record that a line
break inside quotes spreads over several lines. A file with neither is read as it is; any record it
may still have costs the reader no more copies than a record short of fields can. Any other file is
scanned exactly (`wide_spans`, quotes told apart by parity as in
`encodings.relined`) and read from a copy in which each over-wide record is a stand-in of empty
fields, one too many (`narrow`): the reader rejects it once, on the same line, and the record's
field count and first 10,000 bytes are listed in `WIDE_TABLE` for the quarantine.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa

from sahelsim.evidence.encodings import BLOCK, blocks

# The over-wide records of the file being read: DuckDB's line (the header is line 1), field count
# and raw text. Joined to the reader's rejects by line.
WIDE_TABLE = "csv_wide_records"
RAW_BYTES = 10_000  # a quarantined record's raw text, as much as DuckDB's reader keeps of a line
_SCAN_BLOCK = BLOCK // 4  # the exact scan holds several arrays of a block's size at once
_LISTED = 10_000  # over-wide records listed in WIDE_TABLE at a time
_QUOTE, _LF = ord('"'), ord("\n")


class CrowdedLines:
    """Whether a text, whose `encodings.line_marks` are given a block at a time (`add`), may hold a
    record with at least twice as many delimiters as the header has fields (`found`).

    Line by line: quotes are not told apart, so a note full of commas can make a line crowded: the
    file is then scanned exactly for nothing, never read wrong. In the marks without their quotes a
    crowded line is a run of delimiters that `find` sees. A record whose quoted fields hold line
    breaks spreads its delimiters over several lines, so a file with a line break inside quotes is
    always scanned exactly: a crafted record of thousands of surplus fields across lines would
    otherwise cost the reader gigabytes. Such a line break leaves a quote unpaired on its line; the
    quotes and line ends of the marks, with every two neighbouring quotes taken out, show one. The
    whole look, line ends included, takes 0.5–0.9 s for a 441 MiB export that DuckDB reads in 4–5 s.
    """

    def __init__(self, delimiter: str, width: int) -> None:
        self._delimiter = delimiter.encode()
        self._crowd = self._delimiter * (2 * width)
        self._open = b""  # the marks of the line the last block ended in
        self._quote = b""  # a quote the last block left unpaired at its end
        self.found = False

    def add(self, marks: bytes) -> None:
        if self.found:
            return
        lines = self._open + marks.translate(None, b'"')
        self._open = lines[max(lines.rfind(b"\n"), lines.rfind(b"\r")) + 1:]
        quotes = (self._quote + marks.translate(None, self._delimiter + b"\r")).replace(b'""', b"")
        self._quote = b'"' if quotes.endswith(b'"') else b""
        spanning = quotes.count(b'"') > len(self._quote)
        self.found = spanning or self._crowd in lines

    def close(self) -> bool:
        """`found`, counting a quote left open at the end of the text (a broken last record)."""
        self.found = self.found or bool(self._quote)
        return self.found


@dataclass(frozen=True)
class WideSpans:
    """The over-wide records of a file, in file order."""

    lines: np.ndarray  # DuckDB's line number (the header is line 1; the file has no blank lines)
    starts: np.ndarray  # first byte
    ends: np.ndarray  # the byte after it: its LF, or the end of the file
    found: np.ndarray  # fields


def wide_spans(stream: BinaryIO, delimiter: str, width: int) -> WideSpans:
    """Every record of the UTF-8 or latin-1 text in `stream` with more than `width` fields.

    Vectorised over blocks: a record ends at an LF outside quotes, and its fields are one more than
    its delimiters outside quotes. About 2.5 s for 441 MiB; only crowded files pay it.
    """
    found: list[tuple[np.ndarray, ...]] = []
    offset = records = delimiters = start = 0  # records ended so far, the header among them
    quoted = False
    for block in iter(lambda: stream.read(_SCAN_BLOCK), b""):
        data = np.frombuffer(block, np.uint8)
        outside = np.bitwise_xor.accumulate(data == _QUOTE) == quoted
        ends = np.flatnonzero((data == _LF) & outside)
        marks = np.flatnonzero((data == ord(delimiter)) & outside)
        before = np.searchsorted(marks, ends)
        counts = np.diff(before, prepend=0)
        if len(ends):
            counts[0] += delimiters
            starts = np.concatenate(([start], ends[:-1] + 1 + offset))
            wide = np.flatnonzero(counts >= width)
            found.append((records + wide + 1, starts[wide], ends[wide] + offset, counts[wide] + 1))
            delimiters, start = len(marks) - int(before[-1]), int(ends[-1]) + 1 + offset
        else:
            delimiters += len(marks)
        records, quoted, offset = records + len(ends), not bool(outside[-1]), offset + len(block)
    if start < offset and delimiters >= width:  # a last record without a line end
        found.append(tuple(np.array([value]) for value in (records + 1, start, offset, delimiters + 1)))
    columns = [np.concatenate(parts) if parts else np.zeros(0, np.int64) for parts in zip(*found)]
    return WideSpans(*columns) if columns else WideSpans(*(np.zeros(0, np.int64),) * 4)


def create_wide_table(con: duckdb.DuckDBPyConnection) -> None:
    """An empty `WIDE_TABLE` for the file about to be read: most files list nothing in it."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {WIDE_TABLE} (line BIGINT, found BIGINT, raw VARCHAR)")


def narrow(con: duckdb.DuckDBPyConnection, source: BinaryIO, target: Path, spans: WideSpans,
           delimiter: str, width: int, encoding: str) -> None:
    """Copy `source` into `target` with each span's record made `width + 1` empty fields (a CRLF
    record keeps its CR), and list the records in `WIDE_TABLE`, their raw text read in `encoding`."""
    stand_in = delimiter.encode() * width
    raws: list[str] = []
    raw, last, listed = bytearray(), b"", 0
    with target.open("wb") as out:
        for piece, closes in _pieces(source, spans):
            if closes is None:
                out.write(piece)
                continue
            raw += piece[:max(RAW_BYTES - len(raw), 0)]
            last = bytes(piece[-1:]) or last
            if closes:
                out.write(stand_in + (b"\r" if last == b"\r" else b""))
                raws.append(_text(bytes(raw).rstrip(b"\r\n"), encoding))
                raw = bytearray()
                if len(raws) == _LISTED:
                    listed = _list(con, spans, listed, raws)
    _list(con, spans, listed, raws)


def _pieces(source: BinaryIO, spans: WideSpans) -> Iterator[tuple[memoryview, bool | None]]:
    """The bytes of `source` in pieces, each outside every span (None) or inside one (whether it
    ends it), in file order."""
    offset = index = 0
    for block in blocks(source):
        view, at = memoryview(block), 0
        while at < len(block):
            if index == len(spans.starts):
                yield view[at:], None
                break
            start, end = int(spans.starts[index]) - offset, int(spans.ends[index]) - offset
            cut = min(start if at < start else end, len(block))
            yield view[at:cut], (None if at < start else cut == end)
            index += at >= start and cut == end
            at = cut
        offset += len(block)


def _text(raw: bytes, encoding: str) -> str:
    """A record's first bytes as text; a character the cut splits is left out."""
    return codecs.getincrementaldecoder(encoding)("replace").decode(raw, final=False)


def _list(con: duckdb.DuckDBPyConnection, spans: WideSpans, first: int, raws: list[str]) -> int:
    """Add the spans' records from the `first` on, whose raw texts `raws` holds, to `WIDE_TABLE`;
    empties `raws` and returns how many records are listed now."""
    listed = first + len(raws)
    if raws:
        con.register("wide_listed", pa.table({"line": spans.lines[first:listed],
                                              "found": spans.found[first:listed],
                                              "raw": pa.array(raws, pa.string())}))
        con.execute(f"INSERT INTO {WIDE_TABLE} SELECT * FROM wide_listed")
        con.unregister("wide_listed")
        raws.clear()
    return listed
