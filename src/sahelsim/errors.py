"""User mistakes are reported as one line and exit code 2; everything else is a bug and may trace back."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user gave us (a file, a field, an option), never a bug of ours.

    The CLI prints ``str(error)`` on one line and exits with code 2. `header` places the mistake in
    a file's header, which users do not count as a row ("f.csv, header: …").
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None, header: bool = False) -> None:
        self.message, self.file, self.row, self.field = message, file, row, field
        self.header = header
        where = ", ".join(part for part in (
            file,
            "header" if header else None,
            f"row {row}" if row is not None else None,
            f"field {field!r}" if field else None,
        ) if part)
        super().__init__(f"{where}: {message}" if where else message)
