"""Sourced figures: every number in a catalogue or scenario file can say where it comes from.

In a TOML file a number is written plainly (`count = 4`) or as a figure with its source and, when it
is uncertain, its range: `count = { value = 4, low = 2, high = 8, source = "fit to record" }`.
Any table may also carry `source = "..."`, which covers the plain numbers inside it.

`strip_figures` turns such a document into plain values for validation and returns, beside it, one
`Figure` per numeric field keyed by its path (`threat.sorties[0].count`): sweeps read the ranges, the
library tests check that no number is left without a source.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sahelsim.errors import UserError

FIGURE_KEYS = {"value", "low", "high", "source"}


class FigureError(ValueError):
    """A malformed figure table; carries the field path."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(message)


@dataclass(frozen=True)
class Figure:
    """A number with its provenance and, if uncertain, the range to sweep."""

    value: float
    source: str = ""
    low: float | None = None
    high: float | None = None

    def allows(self, value: float) -> bool:
        """Whether `value` lies within the declared range (any value, where none is declared)."""
        return (self.low is None or self.low <= value) and (self.high is None or value <= self.high)


def join(path: str, key: str | int) -> str:
    """Field path in the form used in error messages: `a.b[2].c`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _is_number(value: Any) -> bool:
    """A finite int or float: TOML can also spell inf and nan."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _figure(path: str, table: dict[str, Any], inherited: str) -> Figure:
    unknown = set(table) - FIGURE_KEYS
    if unknown:
        raise FigureError(join(path, sorted(unknown)[0]), "unknown key in a figure; expected value, "
                          "low, high, source")
    for key in ("value", "low", "high"):
        if key in table and not _is_number(table[key]):
            raise FigureError(join(path, key), "expected a finite number")
    low, high, value = table.get("low"), table.get("high"), table["value"]
    if (low is not None and low > value) or (high is not None and value > high):
        raise FigureError(path, f"expected low <= value <= high, got {low}, {value}, {high}")
    source = table.get("source", inherited)
    if not isinstance(source, str):
        raise FigureError(join(path, "source"), "expected a string")
    return Figure(value=value, source=source, low=low, high=high)


def strip_figures(document: Any, path: str = "", inherited: str = "",
                  figures: dict[str, Figure] | None = None) -> tuple[Any, dict[str, Figure]]:
    """Return `document` with figure tables replaced by their values, and the figures by path."""
    figures = {} if figures is None else figures
    if isinstance(document, dict):
        if "value" in document:
            figure = _figure(path, document, inherited)
            figures[path] = figure
            return figure.value, figures
        source = document.get("source", inherited)
        if not isinstance(source, str):
            raise FigureError(join(path, "source"), "expected a string")
        plain = {key: strip_figures(item, join(path, key), source, figures)[0]
                 for key, item in document.items() if key != "source"}
        return plain, figures
    if isinstance(document, list):
        return [strip_figures(item, join(path, i), inherited, figures)[0]
                for i, item in enumerate(document)], figures
    if _is_number(document):
        figures[path] = Figure(value=document, source=inherited)
    return document, figures


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def set_at(document: Any, path: str, value: float) -> None:
    """Set the number at `path` (`threat.sorties[0].count`) in a plain document, in place.

    Raises `FigureError` naming the path when it leads nowhere or to something not a number: a
    typo in a figure's path must not silently set nothing.
    """
    steps = [int(index) if index else key for key, index in _STEP.findall(path)]
    here = document
    try:
        for step in steps[:-1]:
            here = here[step]
        old = here[steps[-1]]
    except (KeyError, IndexError, TypeError):
        raise FigureError(path, "no such figure") from None
    if not _is_number(old) or not _is_number(value):
        raise FigureError(path, f"expected a number to replace {old!r}" if _is_number(value)
                          else "expected a finite number")
    here[steps[-1]] = int(value) if isinstance(old, int) and float(value).is_integer() else value


def set_figures(document: Any, figures: Mapping[str, Figure], values: Mapping[str, float],
                file: str) -> dict[str, Figure]:
    """Set each of `values` (path -> number) in `document`, in place, and return the figures with
    the new values. A figure keeps its source and range, and a value outside the declared range is
    refused: the range is what the record allows. Raises `UserError` naming `file` and the path."""
    figures = dict(figures)
    for path, value in values.items():
        try:
            set_at(document, path, value)
        except FigureError as error:
            raise UserError(str(error), file=file, field=error.path) from None
        figure = figures.get(path)
        if figure is not None:
            if not figure.allows(value):
                raise UserError(f"expected a value within the declared range [{figure.low}, "
                                f"{figure.high}], got {value}", file=file, field=path)
            figures[path] = replace(figure, value=value)
    return figures
