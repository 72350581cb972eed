"""Who is who: ACLED actor strings, UCDP sides and English/French press names onto one key per actor.

The registry lives in a TOML data file (``data/actors.toml``) so that an analyst can add a militia or a
new ACLED spelling without touching code. Names are compared after folding case, accents and
punctuation, because the same group reaches us as "GSIM", "Groupe de soutien a l'Islam" and
"JNIM: Group for Support of Islam and Muslims".

ACLED qualifies one actor many ways: by regime period ("Military Forces of Mali (2021-)", with a unit
after it: "... (2013-2020) Gendarmerie") and by country ("Unidentified Armed Group (Niger)"). One
qualifier rule drops that tail when the whole name is unknown, so a new period needs no new alias.
ACLED also writes attributions it could not settle ("JNIM: ... and/or Islamic State (Sahel)"); those
resolve to an ambiguous key naming every candidate, because picking one would invent a perpetrator.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sahelsim.errors import UserError

SIDES = ("state", "foreign_state_aligned", "nonstate", "none")

_KEY = re.compile(r"[a-z][a-z0-9_]*")
_APOSTROPHES = re.compile(r"['’ʼʿ`´]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NAME_LISTS = ("names_en", "names_fr", "acled")

#: An ambiguous key is this prefix and the candidates' keys, comma-separated, in the order written.
AMBIGUOUS = "ambiguous:"
#: The side of an ambiguous key whose candidates stand on different sides.
UNKNOWN_SIDE = "unknown"

# ACLED's qualifiers: a regime period, perhaps followed by a unit, or a place in parentheses.
_PERIOD = re.compile(r"(?P<base>.+?)\s*\(\s*\d{4}\s*-\s*(?:\d{4})?\s*\).*", re.DOTALL)
_PLACE = re.compile(r"(?P<base>.+?)\s*\([^()\d]+\)\s*", re.DOTALL)
# "A and/or B", "A or B": ACLED's way of saying it could not tell which.
_EITHER = re.compile(r"\s+(?:and\s*/\s*or|or)\s+", re.IGNORECASE)


def normalise(name: str) -> str:
    """Fold a name to the form used for lookups: no accents, no case, no punctuation.

    Apostrophes vanish rather than split words so that "Jama'at" and "Jamaat" meet.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _NON_ALNUM.sub(" ", _APOSTROPHES.sub("", plain)).strip()


@dataclass(frozen=True)
class Actor:
    """One armed or state actor (or a non-party such as civilians) and every name it goes by."""

    key: str
    side: str
    kind: str
    country: str | None = None
    names_en: tuple[str, ...] = ()
    names_fr: tuple[str, ...] = ()
    acled: tuple[str, ...] = ()
    successor_of: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    parent: str | None = None
    inter: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Every literal name, ACLED strings first."""
        return self.acled + self.names_en + self.names_fr

    @property
    def display_name(self) -> str:
        """The first English name: what tables and charts print, shorter than ACLED's string."""
        return self.names_en[0] if self.names_en else self.key


class ActorRegistry:
    """Resolve names to actor keys; answer side and lineage questions about a key."""

    def __init__(self, actors: list[Actor], origin: str = "<memory>") -> None:
        _check_links(actors, origin)
        self._actors = {actor.key: actor for actor in actors}
        self._aliases = _alias_table(actors, origin)
        self._patterns = [(re.compile(p, re.IGNORECASE), actor.key)
                          for actor in actors for p in actor.patterns]
        self._cache: dict[str, str | None] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> ActorRegistry:
        """Read a registry file; the bundled one when no path is given."""
        if path is None:
            source = resources.files("sahelsim.evidence").joinpath("data/actors.toml")
            text, origin = source.read_text(encoding="utf-8"), "actors.toml (bundled)"
        else:
            try:
                text, origin = Path(path).read_text(encoding="utf-8"), str(path)
            except OSError as error:
                raise UserError(f"cannot read actor registry: {error.strerror}", file=str(path)) from error
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise UserError(f"not valid TOML: {error}", file=origin) from error
        entries = document.get("actor")
        if not isinstance(entries, list) or not entries:
            raise UserError("expected one or more [[actor]] tables", file=origin, field="actor")
        return cls([_parse_actor(entry, i, origin) for i, entry in enumerate(entries)], origin)

    @property
    def actors(self) -> list[Actor]:
        return list(self._actors.values())

    def get(self, key: str) -> Actor:
        """The actor behind a key; KeyError for a key the registry does not hold."""
        return self._actors[key]

    def resolve(self, name: str | None) -> str | None:
        """The key for any known spelling of an actor, or None when the name is unknown or empty.

        "A and/or B" where A and B name different actors gives ``ambiguous:<keyA>,<keyB>``.
        """
        if name is None:
            return None
        if name not in self._cache:
            self._cache[name] = self._lookup_any(name)
        return self._cache[name]

    def candidates(self, key: str) -> tuple[str, ...]:
        """The actor keys a resolved key may stand for: one, or each candidate of an ambiguous key.

        KeyError for a key the registry does not hold.
        """
        keys = tuple(key.removeprefix(AMBIGUOUS).split(",")) if key.startswith(AMBIGUOUS) else (key,)
        unknown = [candidate for candidate in keys if candidate not in self._actors]
        if unknown:
            raise KeyError(unknown[0])
        return keys

    def display_name(self, key: str) -> str:
        """A key as people read it: "JNIM", or "JNIM or IS Sahel" for an ambiguous key."""
        return " or ".join(self._actors[k].display_name for k in self.candidates(key))

    def side(self, key: str) -> str:
        """The actor's side; for an ambiguous key the side its candidates share, else "unknown".

        Not an error: an unsettled attribution between a state force and an armed group is common,
        and a report counting events by side must still place the event somewhere.
        """
        sides = {self._actors[k].side for k in self.candidates(key)}
        return sides.pop() if len(sides) == 1 else UNKNOWN_SIDE

    def lineage(self, key: str) -> list[str]:
        """Predecessors of an actor, nearest first (JNIM -> Ansar Dine, Katiba Macina, ...)."""
        seen: list[str] = []
        frontier = list(self._actors[key].successor_of)
        while frontier:
            current = frontier.pop(0)
            if current not in seen:
                seen.append(current)
                frontier.extend(self._actors[current].successor_of)
        return seen

    def _lookup(self, name: str) -> str | None:
        """One actor's name: the whole name, then without its ACLED qualifier; aliases before patterns."""
        forms = [" ".join(form.split()) for form in (name, _without_qualifier(name)) if form]
        for form in forms:
            key = self._aliases.get(normalise(form))
            if key is not None:
                return key
        for form in forms:
            for pattern, key in self._patterns:
                if pattern.fullmatch(form):
                    return key
        return None

    def _lookup_any(self, name: str) -> str | None:
        """One actor's name, or a combined attribution unless the whole of it is a known alias.

        A combined name never falls back to the one-actor rules: the qualifier rule would read
        "Military Forces of Mali (2021-) and/or X" as the army alone and drop X.
        """
        parts = _EITHER.split(name)
        if len(parts) == 1:
            return self._lookup(name)
        return self._aliases.get(normalise(name)) or self._lookup_either(parts)

    def _lookup_either(self, parts: list[str]) -> str | None:
        """A combined attribution; None unless every part names a known actor."""
        keys = [key for key in map(self._lookup, parts) if key is not None]
        if len(keys) < len(parts):
            return None
        distinct = list(dict.fromkeys(keys))
        return distinct[0] if len(distinct) == 1 else AMBIGUOUS + ",".join(distinct)


def _without_qualifier(name: str) -> str | None:
    """The name without ACLED's trailing period-and-unit or place, None when it has neither."""
    match = _PERIOD.fullmatch(name) or _PLACE.fullmatch(name)
    return match["base"] if match else None


def _parse_actor(entry: Any, index: int, origin: str) -> Actor:
    """Turn one [[actor]] table into an Actor, naming the exact field when it is wrong."""
    where = f"actor[{index}]"
    if not isinstance(entry, dict):
        raise UserError("each actor must be a table", file=origin, field=where)
    key = entry.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise UserError("key must be lower-case letters, digits and underscores",
                        file=origin, field=f"{where}.key")
    where = f"actor[{index}] ({key})"
    known = {"key", "side", "kind", "country", "inter", "parent", "successor_of", "patterns", *_NAME_LISTS}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise UserError(f"unknown field {unknown[0]!r}", file=origin, field=f"{where}.{unknown[0]}")
    if entry.get("side") not in SIDES:
        raise UserError(f"side must be one of {', '.join(SIDES)}", file=origin, field=f"{where}.side")
    if not isinstance(entry.get("kind"), str) or not entry["kind"]:
        raise UserError("kind must be a non-empty string", file=origin, field=f"{where}.kind")
    inter = entry.get("inter")
    if inter is not None and (not isinstance(inter, int) or not 1 <= inter <= 8):
        raise UserError("inter must be an ACLED actor type from 1 to 8", file=origin, field=f"{where}.inter")
    lists = {name: _string_list(entry, name, where, origin)
             for name in (*_NAME_LISTS, "successor_of", "patterns")}
    for pattern in lists["patterns"]:
        try:
            re.compile(pattern)
        except re.error as error:
            raise UserError(f"bad regular expression {pattern!r}: {error}",
                            file=origin, field=f"{where}.patterns") from error
    return Actor(key=key, side=entry["side"], kind=entry["kind"],
                 country=_optional_string(entry, "country", where, origin),
                 parent=_optional_string(entry, "parent", where, origin), inter=inter, **lists)


def _string_list(entry: dict[str, Any], name: str, where: str, origin: str) -> tuple[str, ...]:
    value = entry.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise UserError("must be a list of non-empty strings", file=origin, field=f"{where}.{name}")
    return tuple(value)


def _optional_string(entry: dict[str, Any], name: str, where: str, origin: str) -> str | None:
    value = entry.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise UserError("must be a non-empty string", file=origin, field=f"{where}.{name}")
    return value


def _check_links(actors: list[Actor], origin: str) -> None:
    """Keys are unique and every successor_of/parent link points at a key, without cycles."""
    keys: set[str] = set()
    for actor in actors:
        if actor.key in keys:
            raise UserError(f"duplicate key {actor.key!r}", file=origin, field=f"{actor.key}.key")
        keys.add(actor.key)
    for actor in actors:
        for target, field in [(p, "successor_of") for p in actor.successor_of] + [(actor.parent, "parent")]:
            if target is not None and target not in keys:
                raise UserError(f"unknown actor key {target!r}", file=origin, field=f"{actor.key}.{field}")
    by_key = {actor.key: actor for actor in actors}
    for actor in actors:
        if actor.key in _ancestors(actor.key, by_key):
            raise UserError("successor_of links form a cycle", file=origin, field=f"{actor.key}.successor_of")


def _ancestors(key: str, by_key: dict[str, Actor]) -> set[str]:
    found: set[str] = set()
    frontier = list(by_key[key].successor_of)
    while frontier:
        current = frontier.pop()
        if current not in found:
            found.add(current)
            frontier.extend(by_key[current].successor_of)
    return found


def _alias_table(actors: list[Actor], origin: str) -> dict[str, str]:
    """Folded name -> key; a name that would point at two keys is a registry error, not a guess."""
    table: dict[str, str] = {}
    for actor in actors:
        for name in (actor.key, *actor.names):
            folded = normalise(name)
            owner = table.setdefault(folded, actor.key)
            if owner != actor.key:
                raise UserError(f"name {name!r} is already used by {owner!r}",
                                file=origin, field=f"{actor.key}.names")
    return table
