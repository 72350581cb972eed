"""Client for ACLED's current API: OAuth password grant, paged reads, and the deletions list.

The client only downloads. Each page of events is saved byte for byte, so the ingest reads exactly what
ACLED sent and a fetch can be re-ingested without asking ACLED again. Secrets (the password, access and
refresh tokens) never reach an exception message, a log line or an output file; the only place tokens
are written is the optional token cache, created with 0600 permissions. Whatever a server says back
is scrubbed of the username, password and tokens before it reaches a message: a server or proxy that
echoes the login form must not put the password on a user's terminal or in a CI log.
"""

from __future__ import annotations

import csv
import ipaddress
import json
import logging
import os
import tempfile
import re
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import platformdirs

from sahelsim.errors import UserError
from sahelsim.runtime.staging import staging_folder

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://acleddata.com"
CLIENT_ID = "acled"
REFRESH_LIFETIME_S = 14 * 24 * 3600  # ACLED's documented refresh-token lifetime, used if not returned
EXPIRY_MARGIN_S = 60                 # renew a little early rather than race the server's clock
PAGE_GLOB = "acled-page-*.json"
DELETIONS_NAME = "acled-deletions.csv"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REFUSED_STATUSES = frozenset({400, 401, 403})  # how an OAuth server turns down a grant
TOKEN_PATH = "/oauth/token"
MAX_RETRY_AFTER_S = 60.0
HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")  # RFC 1123; IDNA hosts arrive as xn--…
MAX_HOST_CHARS = 253
REDACTED = "[redacted]"
ENV_HINT = "set ACLED_USERNAME and ACLED_PASSWORD, or username/password under [acled] in {path}"


@dataclass(frozen=True)
class AcledCredentials:
    """An ACLED account; the password is kept out of ``repr`` so it cannot leak through logs."""

    username: str
    password: str = field(repr=False)


@dataclass
class FetchResult:
    """What a fetch wrote, for the ingest and for the next incremental fetch (``max_timestamp``)."""

    pages: list[Path]
    deletions: Path | None
    events: int
    deleted: int
    max_timestamp: int | None


def default_config_path() -> Path:
    """Where ``load_credentials`` looks when no config file is given."""
    return Path(platformdirs.user_config_dir("sahelsim")) / "config.toml"


def load_credentials(config_path: Path | None = None) -> AcledCredentials:
    """Credentials from ACLED_USERNAME/ACLED_PASSWORD, else the ``[acled]`` table of the config file.

    The environment wins so that CI and one-off runs need no file on disk.
    """
    username, password = os.environ.get("ACLED_USERNAME"), os.environ.get("ACLED_PASSWORD")
    if username and password:
        return AcledCredentials(username, password)
    path = config_path or default_config_path()
    table = _read_acled_table(path)
    username, password = table.get("username"), table.get("password")
    if not (isinstance(username, str) and username and isinstance(password, str) and password):
        raise UserError("no ACLED credentials found: " + ENV_HINT.format(path=path))
    return AcledCredentials(username, password)


def _read_acled_table(path: Path) -> dict[str, Any]:
    """The ``[acled]`` table of a TOML file; an absent file is simply no credentials."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UserError(f"cannot read config file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError:  # its bytes are not echoed: they may hold a password
        raise UserError("not UTF-8 text: a config file is TOML, in UTF-8", file=str(path)) from None
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message names a position, never the value, so it cannot echo the password.
        raise UserError(f"invalid TOML: {_one_line(str(exc))}", file=str(path)) from None
    table = config.get("acled", {})
    if not isinstance(table, dict):
        raise UserError("[acled] must be a table with username and password", file=str(path))
    return table


def checked_base_url(base_url: str) -> str:
    """The API root without a trailing slash, or a UserError: a mistyped URL is the user's to fix at
    once, not a network failure to retry with backoff."""
    def fail(message: str) -> UserError:
        return UserError(f"{message} (got {_one_line(base_url, 80)!r})", field="--base-url")

    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise fail(f"not a URL: {_one_line(str(exc), 80)}") from None
    if url.scheme not in ("http", "https"):
        raise fail("expected a URL starting with https:// or http://")
    if not _valid_host(url.raw_host.decode("ascii", "replace")):
        raise fail("expected a host name or an IP address after the scheme")
    if url.port is not None and not 0 < url.port < 65536:
        raise fail("expected a port between 1 and 65535")
    if url.query or url.fragment or url.userinfo:
        raise fail("expected only a scheme, a host, a port and a path")
    return str(url).rstrip("/")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        labels = host.removesuffix(".").split(".")
        return 0 < len(host) <= MAX_HOST_CHARS and all(HOST_LABEL.fullmatch(label) for label in labels)


def _one_line(text: str, limit: int = 300) -> str:
    """Collapse a server or library message to one short line, since UserError is printed as one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass
class _Tokens:
    access_token: str
    refresh_token: str | None
    access_expires_at: float
    refresh_expires_at: float


class _Api:
    """HTTP plumbing shared by every request: retries, error translation, and token upkeep."""

    def __init__(self, client: httpx.Client, base_url: str, credentials: AcledCredentials,
                 token_cache: Path | None, retries: int, backoff_base: float) -> None:
        self.client, self.base_url, self.credentials = client, base_url.rstrip("/"), credentials
        self.token_cache, self.retries, self.backoff_base = token_cache, retries, backoff_base
        self.tokens: _Tokens | None = self._load_cache()

    # -- transport -----------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request, retried on 429/5xx and network errors, because ACLED throttles and hiccups."""
        url = self.base_url + path
        attempt = 0
        while True:
            retry_after = None
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TimeoutException:
                if attempt == self.retries:
                    raise UserError(f"ACLED did not answer in time ({url}); try again later") from None
                reason = "timeout"
            except httpx.UnsupportedProtocol as exc:  # a configuration mistake: no retry helps
                raise UserError(self._said(str(exc)), field="--base-url") from None
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise UserError(f"cannot reach ACLED at {self.base_url}: "
                                    f"{self._said(str(exc)) or type(exc).__name__}") from None
                reason = type(exc).__name__
            else:
                if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                    return response
                reason, retry_after = f"HTTP {response.status_code}", response.headers.get("Retry-After")
            delay = self._delay(attempt, retry_after)
            log.warning("ACLED %s %s: %s, retrying in %.1fs", method, path, reason, delay)
            time.sleep(delay)
            attempt += 1

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        """Exponential backoff, or the server's Retry-After when it asks for longer (capped)."""
        delay = self.backoff_base * 2 ** attempt
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER_S))
        return delay

    def _said(self, text: str) -> str:
        """What a server (or a library quoting it) said, as one line with every secret taken out,
        in each spelling a reflecting server or proxy might echo it in. Scrubbed before shortening,
        so a cut cannot leave half a password behind."""
        for secret in sorted(self._spellings(), key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return _one_line(text)

    def _spellings(self) -> set[str]:
        tokens = self.tokens
        secrets = {self.credentials.username, self.credentials.password,
                   *((tokens.access_token, tokens.refresh_token or "") if tokens else ())}
        return {spelling for secret in secrets if secret
                for spelling in (secret, quote_plus(secret), quote(secret, safe=""),
                                 json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1])}

    # -- tokens --------------------------------------------------------------------------------

    def access_token(self) -> str:
        """A usable access token: cached if still fresh, else refreshed, else a new login."""
        now = time.time()
        if self.tokens and self.tokens.access_expires_at > now:
            return self.tokens.access_token
        return self.renew()

    def renew(self) -> str:
        """Refresh the tokens, falling back to the password grant when the refresh token is refused."""
        tokens = self.tokens
        if tokens and tokens.refresh_token and tokens.refresh_expires_at > time.time():
            response = self._send("POST", TOKEN_PATH, data={
                "grant_type": "refresh_token", "refresh_token": tokens.refresh_token, "client_id": CLIENT_ID})
            if response.status_code not in REFUSED_STATUSES:
                return self._accept(response)
            log.info("ACLED refused the refresh token (HTTP %s); logging in again", response.status_code)
        response = self._send("POST", TOKEN_PATH, data={
            "username": self.credentials.username, "password": self.credentials.password,
            "grant_type": "password", "client_id": CLIENT_ID, "scope": "authenticated"})
        if response.status_code in (400, 401):
            raise UserError(f"ACLED rejected the username or password for {self.credentials.username!r} "
                            f"(HTTP {response.status_code}); check ACLED_USERNAME/ACLED_PASSWORD "
                            "or the [acled] table of your sahelsim config")
        return self._accept(response)

    def _accept(self, response: httpx.Response) -> str:
        """Keep (and cache) the tokens of a token-endpoint answer; return the access token."""
        self._check_status(response, TOKEN_PATH)
        body = self._json_body(response, TOKEN_PATH)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise UserError("ACLED's token endpoint answered without an access token; try again later")
        self.tokens = self._tokens_from(body)
        self._save_cache()
        return self.tokens.access_token

    def _tokens_from(self, body: dict[str, Any]) -> _Tokens:
        """Tokens with absolute expiry times; an answer without a refresh token keeps the old one."""
        now = time.time()
        access_expires_at = now + _seconds(body.get("expires_in"), 24 * 3600) - EXPIRY_MARGIN_S
        if isinstance(body.get("refresh_token"), str):
            refresh_expires_at = now + _seconds(body.get("refresh_expires_in"), REFRESH_LIFETIME_S)
            return _Tokens(body["access_token"], body["refresh_token"], access_expires_at,
                           refresh_expires_at - EXPIRY_MARGIN_S)
        old = self.tokens
        return _Tokens(body["access_token"], old.refresh_token if old else None, access_expires_at,
                       old.refresh_expires_at if old else 0.0)

    def _load_cache(self) -> _Tokens | None:
        """Tokens from the cache file, only if they were issued to this account on this server."""
        if self.token_cache is None:
            return None
        try:
            cached = json.loads(self.token_cache.read_text(encoding="utf-8"))
            if cached.get("username") != self.credentials.username or cached.get("base_url") != self.base_url:
                return None
            refresh = cached.get("refresh_token")
            return _Tokens(str(cached["access_token"]), refresh if isinstance(refresh, str) else None,
                           float(cached["access_expires_at"]), float(cached["refresh_expires_at"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None  # a missing or damaged cache only costs one login

    def _save_cache(self) -> None:
        """Write the cache atomically, created 0600 so other local users cannot read the tokens."""
        if self.token_cache is None or self.tokens is None:
            return
        payload = {"username": self.credentials.username, "base_url": self.base_url,
                   **self.tokens.__dict__}
        try:
            self.token_cache.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.token_cache.parent, prefix=".acled-token-")
        except OSError as exc:
            log.warning("cannot write the ACLED token cache %s: %s", self.token_cache, exc.strerror)
            return  # the cache only saves logins; the fetch goes on without it
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle)
            os.replace(tmp, self.token_cache)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- reads ---------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, str]) -> tuple[bytes, dict[str, Any]]:
        """An authenticated GET, renewing the token once on 401; returns the raw body and its JSON."""
        response = self._send("GET", path, params={"_format": "json", **params},
                              headers=self._auth(self.access_token()))
        if response.status_code == 401:
            response = self._send("GET", path, params={"_format": "json", **params},
                                  headers=self._auth(self.renew()))
            if response.status_code == 401:
                raise UserError("ACLED refused a freshly issued access token (HTTP 401); "
                                "check that your account has API access")
        self._check_status(response, path)
        body = self._json_body(response, path)
        if not isinstance(body, dict) or body.get("success") is False \
                or not isinstance(body.get("data"), list):
            raise UserError(f"ACLED API error on {path}: {self._said(_api_error(body))}")
        return response.content, body

    @staticmethod
    def _auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _check_status(self, response: httpx.Response, path: str) -> None:
        """Turn the statuses a user can act on into one-line UserErrors."""
        status = response.status_code
        if status < 300:
            return
        detail = self._said(_api_error(_json_or_none(response)))
        if status == 403:
            raise UserError(f"ACLED refused access to {path} (HTTP 403): {detail}; "
                            "check that your account has API access")
        if status in RETRY_STATUSES:
            raise UserError(f"ACLED kept failing on {path} (HTTP {status}); try again later")
        raise UserError(f"ACLED answered HTTP {status} on {path}: {detail}")

    def _json_body(self, response: httpx.Response, path: str) -> Any:
        """The JSON body, or a UserError: a non-JSON answer is usually a proxy or maintenance page."""
        try:
            return response.json()
        except (ValueError, RecursionError):
            content_type = self._said(response.headers.get("content-type", "no content type"))
            raise UserError(f"ACLED answered {path} with something that is not JSON ({content_type}); "
                            "check the base URL or try again later") from None


def _seconds(value: Any, default: float) -> float:
    """A lifetime from the token response, tolerating strings and absences."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _json_or_none(response: httpx.Response) -> Any:
    """The JSON body, or None for anything else (JSON nested past Python's recursion limit too)."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _api_error(body: Any) -> str:
    """ACLED's error message, whichever of its shapes (string, object, list of objects) it came in."""
    if not isinstance(body, dict):
        return "no error message"
    error = body.get("error") or body.get("error_description") or body.get("message")
    if isinstance(error, list):
        error = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in error)
    elif isinstance(error, dict):
        error = error.get("message") or json.dumps(error)
    return str(error) if error else "no error message"


def _pages(api: _Api, path: str, params: dict[str, str], page_size: int,
           first_extra: dict[str, str] | None = None) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """Every page of an endpoint; the last page is the first one shorter than the limit.

    ``first_extra`` goes on page 1 only (with_total: counting costs ACLED a query on every page).
    """
    page = 1
    while True:
        extra = (first_extra or {}) if page == 1 else {}
        raw, body = api.get(path, {**params, **extra, "limit": str(page_size), "page": str(page)})
        yield raw, body
        if len(body["data"]) < page_size:
            return
        page += 1


def _read_params(country: list[str] | None, since_timestamp: int | None,
                 event_date: tuple[date, date] | None) -> dict[str, str]:
    """Filters for /api/acled/read; inter_num=1 keeps inter codes numeric, as the schema stores them."""
    params = {"inter_num": "1"}
    if country:
        params["country"] = "|".join(country)
    if event_date:
        params["event_date"] = f"{event_date[0].isoformat()}|{event_date[1].isoformat()}"
        params["event_date_where"] = "BETWEEN"
    if since_timestamp is not None:
        params["timestamp"] = str(since_timestamp)
        params["timestamp_where"] = ">="
    return params


def _total(body: dict[str, Any]) -> int | None:
    """The total from with_total=true, if ACLED sent one (``count`` is only this page's rows)."""
    try:
        return int(body["total_count"])
    except (KeyError, TypeError, ValueError):
        return None


def _max_timestamp(rows: list[Any], current: int | None) -> int | None:
    """The newest ``timestamp`` so far: the next incremental fetch starts from it."""
    stamps = [int(row["timestamp"]) for row in rows
              if isinstance(row, dict) and str(row.get("timestamp", "")).strip().isdigit()]
    if current is not None:
        stamps.append(current)
    return max(stamps, default=None)


def _fetch_events(api: _Api, staging: Path, params: dict[str, str], page_size: int,
                  progress: Callable[[int, int | None], None] | None) -> tuple[list[Path], int, int | None]:
    """Save each event page as ACLED sent it; count rows and find the newest timestamp."""
    pages: list[Path] = []
    events, newest, total = 0, None, None
    numbered = enumerate(_pages(api, "/api/acled/read", params, page_size, {"with_total": "true"}), start=1)
    for number, (raw, body) in numbered:
        rows = body["data"]
        if rows or number == 1:  # the empty page that ends an exact multiple of page_size adds nothing
            target = staging / f"acled-page-{number:04d}.json"
            target.write_bytes(raw)
            pages.append(target)
        events += len(rows)
        newest = _max_timestamp(rows, newest)
        total = _total(body) if number == 1 else total
        if progress:
            progress(events, total)
    return pages, events, newest


def _fetch_deletions(api: _Api, target: Path, since_timestamp: int, page_size: int) -> int:
    """Write the events ACLED deleted since the last fetch, so the ingest can drop them."""
    params = {"deleted_timestamp": str(since_timestamp), "deleted_timestamp_where": ">="}
    deleted = 0
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["event_id_cnty", "deleted_timestamp"])
        for _, body in _pages(api, "/api/deleted/read", params, page_size):
            for row in body["data"]:
                if isinstance(row, dict) and row.get("event_id_cnty"):
                    writer.writerow([row["event_id_cnty"], row.get("deleted_timestamp", "")])
                    deleted += 1
    return deleted


def _publish(staging: Path, out_dir: Path) -> None:
    """Replace the previous fetch's files only once the new fetch is complete, so a failure keeps them."""
    for old in [*out_dir.glob(PAGE_GLOB), out_dir / DELETIONS_NAME]:
        old.unlink(missing_ok=True)
    for new in sorted(staging.iterdir()):
        os.replace(new, out_dir / new.name)


def fetch_acled(credentials: AcledCredentials, out_dir: Path, *, base_url: str = DEFAULT_BASE_URL,
                country: list[str] | None = None, since_timestamp: int | None = None,
                event_date: tuple[date, date] | None = None, page_size: int = 5000,
                progress: Callable[[int, int | None], None] | None = None,
                client: httpx.Client | None = None, token_cache: Path | None = None,
                retries: int = 4, backoff_base: float = 1.0) -> FetchResult:
    """Download ACLED events (and, when incremental, deletions) into ``out_dir``.

    Writes ``acled-page-NNNN.json`` (one per API page, as sent) and, when ``since_timestamp`` is given,
    ``acled-deletions.csv``. A full fetch is a complete snapshot of the filter, so it needs no
    deletions list. Files of an earlier fetch in ``out_dir`` are replaced only after this one succeeds.
    """
    if page_size < 1:
        raise UserError(f"page size must be at least 1, not {page_size}")
    base_url = checked_base_url(base_url)
    with ExitStack() as stack:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            staging = stack.enter_context(staging_folder(out_dir))  # a killed fetch's goes first
        except OSError as exc:
            raise UserError(f"cannot write to the output folder: {exc.strerror}",
                            file=str(out_dir)) from None
        http = client or stack.enter_context(httpx.Client(
            timeout=httpx.Timeout(120.0, connect=15.0), headers={"User-Agent": "sahelsim"}))
        api = _Api(http, base_url, credentials, token_cache, retries, backoff_base)
        pages, events, newest = _fetch_events(
            api, staging, _read_params(country, since_timestamp, event_date), page_size, progress)
        deleted = 0
        if since_timestamp is not None:
            deleted = _fetch_deletions(api, staging / DELETIONS_NAME, since_timestamp, page_size)
        _publish(staging, out_dir)
    return FetchResult(pages=[out_dir / page.name for page in pages],
                       deletions=out_dir / DELETIONS_NAME if since_timestamp is not None else None,
                       events=events, deleted=deleted, max_timestamp=newest)
