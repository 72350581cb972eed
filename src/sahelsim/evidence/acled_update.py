"""Bringing the store up to date with ACLED: what changed since the newest stored event, in one go.

An update asks ACLED's API for the events stamped on or after the newest stored ACLED `timestamp`
(everything when there is none yet, or when asked for a full fetch) and for the events deleted since,
then ingests both in one transaction. The pages go through a scratch folder: the store, not the
downloads, is what an update keeps.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sahelsim.evidence import acled_api
from sahelsim.evidence.ingest import IngestSummary, Progress, ingest
from sahelsim.evidence.record import newest_timestamp

FetchProgress = Callable[[int, int | None], None]  # (events downloaded, events in all if known)


@dataclass
class AcledUpdate:
    """What one update fetched (`fetched` events, `deletions` listed, from `since_timestamp` on;
    None: everything) and what its ingest did with them."""

    fetched: int
    deletions: int
    since_timestamp: int | None
    ingest: IngestSummary

    def as_dict(self) -> dict:
        """One flat record: the fetch's counts beside the ingest's."""
        return {"fetched": self.fetched, "deletions": self.deletions,
                "since_timestamp": self.since_timestamp, **self.ingest.as_dict()}


def update_from_acled(db: Path | None = None, *, config: Path | None = None,
                      base_url: str = acled_api.DEFAULT_BASE_URL, countries: Sequence[str] = (),
                      full: bool = False, wait: float = 0, fetching: FetchProgress | None = None,
                      ingesting: Progress | None = None) -> AcledUpdate:
    """Fetch from ACLED what changed since the last update (all of it with `full`), then ingest it.

    The credentials (`acled_api.load_credentials(config)`), the base URL and the store are checked
    before anything is downloaded; `fetching` is first called with (0, None) once they are, and then
    after each page. `wait` is how long to wait for another sahelsim writing to the store.
    """
    credentials = acled_api.load_credentials(config)
    base_url = acled_api.checked_base_url(base_url)
    since = None if full else newest_timestamp(db, "acled", wait=wait)
    with tempfile.TemporaryDirectory(prefix="sahelsim-acled-") as folder:
        if fetching:
            fetching(0, None)
        fetched = acled_api.fetch_acled(credentials, Path(folder), base_url=base_url,
                                        country=list(countries) or None, since_timestamp=since,
                                        progress=fetching)
        summary = ingest(fetched.pages, db, deletions=fetched.deletions, progress=ingesting, wait=wait)
    return AcledUpdate(fetched.events, fetched.deleted, since, summary)
