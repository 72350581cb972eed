"""Encodings: which character encoding an export is in, and its text as UTF-8 for DuckDB's reader.

ACLED exports come as UTF-8 (with or without a byte order mark), as UTF-16 from Excel's "Unicode
text" (always with a byte order mark), and as Windows-1252 from older downloads and Excel on
Windows. A file's encoding is decided once, for the whole file, from its first bytes:

- a byte order mark names UTF-8, UTF-16 LE or UTF-16 BE;
- otherwise the first non-ASCII character decides: a valid UTF-8 sequence means UTF-8 (a later byte
  that is not UTF-8 is then that record's fault, and the CSV reader quarantines the record), an
  invalid one means Windows-1252. Windows-1252 text practically never forms UTF-8 sequences
  ("é" is the single byte E9, which UTF-8 never leaves alone), so the first one is a safe witness;
- a file of ASCII alone is UTF-8.

DuckDB's reader takes UTF-8 directly, and a Windows-1252 file without the bytes 80–9F (€ ’ “ ” – …)
as latin-1, which it then is; any other file is transcoded, in large blocks, into a UTF-8 scratch
file it then reads (DuckDB's own latin-1 decoder refuses the bytes 80–9F).

Line ends too are one kind per file for DuckDB's reader (LF or CRLF): it refuses a whole file whose
lines end in more than one way (a CRLF row pasted into an LF file, an LF header over CRLF rows, a
bare CR). And it counts blank lines when it numbers records, so a record's number after one would
be wrong. A file with either is copied with its line ends outside quoted fields made LF (`relined`)
and its blank lines left out (`unblanked`); any other file is read as it is, with no copy. Line ends
inside a quoted field, blank lines included, are the field's text and are kept as they are.
"""

from __future__ import annotations

import codecs
import functools
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

UTF8, UTF16 = "utf-8", "utf-16"  # Python's utf-16 codec reads either byte order from the mark
CP1252 = "cp1252"

BLOCK = 16 * 2**20  # bytes read, decoded and written at a time: large enough that Python is not the loop

_BOMS = [(codecs.BOM_UTF8, UTF8), (codecs.BOM_UTF16_LE, UTF16), (codecs.BOM_UTF16_BE, UTF16)]
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _cp1252_table() -> str:
    """Windows-1252 as a 256-character decoding table; its five unassigned bytes (81, 8D, 8F, 90, 9D)
    read as latin-1, which is what Windows itself does, so no byte of a file is ever lost."""
    table = []
    for byte in range(256):
        try:
            table.append(bytes([byte]).decode(CP1252))
        except UnicodeDecodeError:
            table.append(chr(byte))
    return "".join(table)


_CP1252_TABLE = _cp1252_table()


class Cp1252Decoder(codecs.IncrementalDecoder):
    """Windows-1252 with latin-1 for its unassigned bytes; one byte is one character, so blocks need
    no carry-over."""

    def decode(self, input: bytes, final: bool = False) -> str:
        return codecs.charmap_decode(input, "strict", _CP1252_TABLE)[0]


def decoder(encoding: str, errors: str = "strict") -> codecs.IncrementalDecoder:
    """An incremental decoder for one of the encodings `detect` names (a UTF-8 mark is dropped)."""
    if encoding == CP1252:
        return Cp1252Decoder(errors)
    return codecs.getincrementaldecoder("utf-8-sig" if encoding == UTF8 else encoding)(errors)


def detect(stream: BinaryIO) -> str:
    """The encoding of the text `stream` holds, read from its start (see the module docstring).

    Reads no further than the first non-ASCII character; a file of ASCII alone is read to its end,
    which `bytes.isascii` does at memory speed.
    """
    head = stream.read(BLOCK)
    for mark, encoding in _BOMS:
        if head.startswith(mark):
            return encoding
    while head:
        found = None if head.isascii() else _NON_ASCII.search(head)
        if found:
            witness = head[found.start():found.start() + 4]
            if len(witness) < 4:
                witness += stream.read(4 - len(witness))
            return UTF8 if _starts_with_utf8_character(witness) else CP1252
        head = stream.read(BLOCK)
    return UTF8


def _starts_with_utf8_character(data: bytes) -> bool:
    try:
        return bool(codecs.getincrementaldecoder(UTF8)().decode(data, final=False))
    except UnicodeDecodeError:
        return False


def blocks(stream: BinaryIO) -> Iterator[bytes]:
    """The bytes of `stream`, a block at a time."""
    return iter(lambda: stream.read(BLOCK), b"")


def write_utf8(stream: BinaryIO, encoding: str, target: Path, *, reline: bool = False) -> None:
    """Copy the text of `stream` into `target` as UTF-8, a block at a time; with `reline`, its line
    ends outside quoted fields become LF (`relined`) and its blank lines are left out (`unblanked`).

    Raises UnicodeDecodeError where a UTF-16 file breaks off mid-character (Windows-1252 decodes
    every byte).
    """
    with target.open("wb") as out:
        if encoding == UTF8 and not reline:
            shutil.copyfileobj(stream, out, BLOCK)
            return
        text = _utf8_blocks(stream, encoding)
        for block in unblanked(relined(text)) if reline else text:
            out.write(block)


def _utf8_blocks(stream: BinaryIO, encoding: str) -> Iterator[bytes]:
    """The text of `stream` as UTF-8, a block at a time, for `relined` to work on bytes."""
    if encoding == UTF8:  # UTF-8 is passed on byte for byte: a bad byte stays its record's problem
        yield from blocks(stream)
        return
    text = decoder(encoding)
    for block in blocks(stream):
        yield text.decode(block).encode(UTF8)
    yield text.decode(b"", final=True).encode(UTF8)


#: The bytes where Windows-1252 and latin-1 differ (€ ’ “ ” – … and their kin): a Windows-1252 file
#: without them is latin-1, which DuckDB's reader decodes itself, with no copy.
_WINDOWS_ONLY = bytes(range(0x80, 0xA0))


def line_marks(block: bytes, delimiter: str) -> bytes:
    """The delimiters, quotes and line ends (LF, CR) of a block of UTF-8 text, in order, every other
    byte left out: what tells a blank line, a line of many fields or a line break inside quotes, a
    seventh of an export and cheap to search. One `bytes.translate`, about 1 GB/s."""
    return block.translate(None, _others(delimiter))


def windows_line_marks(block: bytes, delimiter: str) -> tuple[bytes, bool]:
    """`line_marks` of a block of Windows-1252 text, and whether it holds a byte that latin-1 would
    read differently.

    The one pass over the block keeps those bytes with the marks; a second, over the marks alone,
    drops them again and tells by the length whether there were any. Two passes over the block
    would cost twice: 0.35 s more for a 440 MiB export."""
    kept = block.translate(None, _others(delimiter, _WINDOWS_ONLY))
    marks = kept.translate(None, _WINDOWS_ONLY)
    return marks, len(marks) != len(kept)


@functools.cache
def _others(delimiter: str, also_kept: bytes = b"") -> bytes:
    kept = {ord(delimiter), ord('"'), ord("\n"), ord("\r"), *also_kept}
    return bytes(byte for byte in range(256) if byte not in kept)


_BLANK = (b"\n\n", b"\n\r\n")


@dataclass
class LineEnds:
    """How the lines of UTF-8 text end, told a block at a time (`add`): in more than one way (LF,
    CRLF, bare CR: `mixed`), and whether any line is blank (`blank`).

    Line ends inside quoted fields count too, so a CRLF file whose quoted notes hold bare LFs (as
    Excel writes them), or notes holding an empty line, call for a copy that was not needed: a
    needless copy, never a wrong read. A block without a CR (the usual LF export) costs a `find`
    for one; a blank line is looked for in the block's `line_marks` (where a line of no delimiter
    looks blank too) and only then in the block: 0.13 s in all for a 441 MiB export that DuckDB
    reads in 4 s. Only files with a CR have their line ends counted.
    """

    cr: int = 0
    lf: int = 0
    crlf: int = 0
    blank: bool = False
    lf_before_cr: bool = False
    last: bytes = b""  # the previous block's last two bytes, for a line end cut in two
    last_marks: bytes = b""  # and its marks' last two

    def add(self, block: bytes, marks: bytes) -> None:
        if not self.blank and any(end in self.last_marks + marks for end in _BLANK):
            self.blank = any(end in self.last + block for end in _BLANK)
        if not self.cr and block.find(b"\r") < 0:
            self.lf_before_cr = self.lf_before_cr or block.find(b"\n") >= 0
        else:
            self.cr, self.lf = self.cr + block.count(b"\r"), self.lf + block.count(b"\n")
            self.crlf += block.count(b"\r\n") + (self.last[-1:] == b"\r" and block[:1] == b"\n")
        self.last, self.last_marks = (self.last + block[-2:])[-2:], (self.last_marks + marks[-2:])[-2:]

    @property
    def mixed(self) -> bool:
        return self.cr > 0 and (self.lf_before_cr or not self.cr == self.crlf == self.lf)


def relined(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """UTF-8 text with every line end outside quoted fields (CRLF, a bare CR) made LF.

    Whether a byte is inside a quoted field is told by the parity of the quotes before it: an escaped
    quote is doubled and so flips it twice. A CR ending a block waits for the next block, whose
    first byte may be its LF. Blocks without a CR pass as they are.
    """
    quoted, held = False, b""
    for block in blocks:
        block, held = held + block, b""
        if block.endswith(b"\r"):
            block, held = block[:-1], b"\r"
        if b"\r" not in block:
            quoted ^= block.count(b'"') % 2 == 1
            yield block
            continue
        parts = block.split(b'"')
        outside = 1 if quoted else 0
        parts[outside::2] = [part.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                             for part in parts[outside::2]]
        quoted ^= len(parts) % 2 == 0
        yield b'"'.join(parts)
    if held:
        yield held if quoted else b"\n"


def unblanked(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """LF-ended UTF-8 text without its blank lines: an LF outside quoted fields that follows another
    (or starts the text) is left out: DuckDB's reader skips it, but counts it when it numbers the
    records after it.

    Quotes are told apart as in `relined`, by parity, but counted only up to each place where two
    LFs meet: a block without one passes as it is after a `find` and a count of its quotes.
    """
    quoted, line_start = False, True
    for block in blocks:
        if not block:
            continue
        drops, counted = [], 0
        place = 0 if line_start and block.startswith(b"\n") else _second_lf(block, 0)
        while place >= 0:
            quoted ^= block.count(b'"', counted, place) % 2 == 1
            counted = place
            if not quoted:
                drops.append(place)
            place = _second_lf(block, place)
        quoted ^= block.count(b'"', counted) % 2 == 1
        line_start = block.endswith(b"\n") and not quoted
        if drops:
            block = b"".join(block[start + 1:end] for start, end in zip([-1, *drops], [*drops, len(block)]))
        yield block


def _second_lf(block: bytes, start: int) -> int:
    """The place of the next LF at or after `start` that follows another LF in `block`; -1 if none."""
    found = block.find(b"\n\n", start)
    return found + 1 if found >= 0 else -1
