"""Containers: the one export a user's file holds, whether given bare, gzipped or in a zip.

ACLED's download tool ships exports zipped, sometimes beside a README or a terms-of-use text; users
gzip large CSVs. A container must hold exactly one export: a zip of several is ambiguous (which one
did the user mean?), so it is refused with the list of what it holds rather than read in part.
The export's own name (inside the container) tells its format; a name without a known suffix is
read as CSV, as a bare file always was.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from sahelsim.errors import UserError

# Export formats by the suffix of the export's name; `.xls` is read by the same workbook reader.
FORMATS = {".csv": "csv", ".tsv": "csv", ".tab": "csv", ".xlsx": "xlsx", ".xls": "xlsx",
           ".json": "json"}
CSV, XLSX, JSON = "csv", "xlsx", "json"

_BROKEN = (zipfile.BadZipFile, gzip.BadGzipFile, EOFError, zlib.error)


@dataclass(frozen=True)
class Export:
    """One export: the user's file, and where its bytes are inside it."""

    path: Path  # the file the user gave
    name: str  # the export's own name: the zip member, the gzipped file's name, or the file's
    format: str  # CSV, XLSX or JSON
    member: str | None = None  # the zip member holding it
    gzipped: bool = False

    @property
    def bare(self) -> bool:
        """Whether the file on disk is the export itself, readable without unpacking."""
        return self.member is None and not self.gzipped


def find_export(path: Path) -> Export:
    """The export `path` holds, or a one-line error saying why it holds none or several."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _zipped_export(path)
    if suffix == ".gz":
        return Export(path, path.stem, _format(path.stem), gzipped=True)
    return Export(path, path.name, _format(path.name))


@contextmanager
def export_bytes(export: Export) -> Iterator[BinaryIO]:
    """The export's bytes, unpacked as they are read; a damaged container is the user's error."""
    try:
        if export.member is not None:
            with zipfile.ZipFile(export.path) as archive, archive.open(export.member) as stream:
                yield stream
        elif export.gzipped:
            with gzip.open(export.path) as stream:
                yield stream
        else:
            with export.path.open("rb") as stream:
                yield stream
    except _BROKEN as error:
        raise UserError(f"damaged {export.path.suffix.lstrip('.').lower()} file ({error})",
                        file=str(export.path)) from None


def _format(name: str) -> str:
    return FORMATS.get(PurePosixPath(name).suffix.lower(), CSV)


def _zipped_export(path: Path) -> Export:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info.filename for info in archive.infolist() if not info.is_dir()
                       and not info.filename.startswith("__MACOSX/")
                       and not PurePosixPath(info.filename).name.startswith(".")]
    except zipfile.BadZipFile as error:
        raise UserError(f"damaged zip file ({error})", file=str(path)) from None
    exports = [name for name in members if PurePosixPath(name).suffix.lower() in FORMATS]
    if len(exports) == 1:
        return Export(path, exports[0], _format(exports[0]), member=exports[0])
    if exports:
        raise UserError(f"a zip of {len(exports)} exports ({', '.join(exports)}); "
                        "expected one: unzip it and give the files one by one", file=str(path))
    kinds = ", ".join(sorted(FORMATS))
    raise UserError(f"a zip with no export in it (no {kinds} file); it holds: "
                    f"{', '.join(members) or 'nothing'}", file=str(path))
