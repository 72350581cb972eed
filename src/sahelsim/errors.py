"""User mistakes are reported as one line and exit code 2; everything else is a bug and may trace back."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user gave us (a file, a field, an option), never a bug of ours.

    The CLI prints ``str(error)`` on one line and exits with code 2. `header` places the mistake in
    a file's header, which users do not count as a row ("f.csv, header: …"). A file name or message
    holding bytes that are not UTF-8 shows them as ``\\xff`` escapes, so the line can be printed.
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None, header: bool = False) -> None:
        message, file = printable(message), printable(file) if file is not None else None
        self.message, self.file, self.row, self.field = message, file, row, field
        self.header = header
        where = ", ".join(part for part in (
            file,
            "header" if header else None,
            f"row {row}" if row is not None else None,
            f"field {field!r}" if field else None,
        ) if part)
        super().__init__(f"{where}: {message}" if where else message)


def printable(text: str) -> str:
    """`text` with the undecodable bytes of a file name or argument (Python holds them as lone
    surrogates) written as ``\\xff`` escapes: such text cannot be printed, nor written as UTF-8."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that does not stand for a byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def utf8_text(text: str, *, file: str | None = None, field: str | None = None) -> str:
    """`text` itself where it is UTF-8, else a UserError: the store keeps file names and notes as
    UTF-8 text, and DuckDB takes nothing else, so a name with Latin-1 bytes must be renamed."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError("not UTF-8 text: DuckDB and the store take only UTF-8 names and text; "
                        "rename it or convert it to UTF-8", file=file, field=field) from None
    return text
