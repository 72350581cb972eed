"""A small ACLED API on loopback, so fetch tests exercise real HTTP instead of mocks.

It speaks the parts of ACLED's current API that sahelsim uses: the OAuth token endpoint (password and
refresh grants), ``/api/acled/read`` with country/event_date/timestamp filters and paging, and
``/api/deleted/read``. Tests steer it: expire tokens, inject failures, stall replies, add or delete
events, or echo a request back as some servers and proxies do. Every request is recorded (path, query, form, Authorization) for assertions.

    with AcledTestServer() as server:
        fetch_acled(AcledCredentials(server.username, server.password), tmp, base_url=server.url)
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACLED_FIELDS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
)

# country -> (ISO prefix for event ids, numeric ISO, region, admin1 names, (lat, lon) centre)
COUNTRIES: dict[str, tuple[str, int, str, tuple[str, ...], tuple[float, float]]] = {
    "Mali": ("MLI", 466, "Western Africa", ("Mopti", "Gao", "Tombouctou", "Segou"), (15.0, -2.0)),
    "Burkina Faso": ("BFA", 854, "Western Africa", ("Sahel", "Est", "Nord", "Centre-Nord"), (12.5, -1.5)),
    "Niger": ("NER", 562, "Western Africa", ("Tillaberi", "Diffa", "Tahoua"), (14.5, 2.0)),
    "Chad": ("TCD", 148, "Middle Africa", ("Lac", "Tibesti", "Ouaddai"), (13.5, 18.5)),
    "Mauritania": ("MRT", 478, "Western Africa", ("Hodh ech Chargui", "Assaba"), (18.0, -10.5)),
}

# (disorder_type, event_type, sub_event_type, inter1, inter2, notes)
EVENT_KINDS = (
    ("Political violence", "Battles", "Armed clash", 1, 2, "Clash between the army and JNIM militants."),
    ("Political violence", "Explosions/Remote violence", "Air/drone strike", 1, 2,
     "An army drone struck a militant position."),
    ("Political violence", "Explosions/Remote violence", "Air/drone strike", 1, 0,
     "A helicopter carried out an air strike."),
    ("Political violence", "Explosions/Remote violence", "Remote explosive/landmine/IED", 2, 1,
     "An IED hit a military convoy."),
    ("Political violence", "Violence against civilians", "Attack", 2, 7, "Militants attacked villagers."),
    ("Demonstrations", "Protests", "Peaceful protest", 6, 0, "Residents protested insecurity."),
    ("Strategic developments", "Strategic developments", "Looting/property destruction", 3, 7,
     "A militia burned granaries."),
)

ACTORS = {0: "", 1: "Military Forces", 2: "JNIM: Group for Support of Islam and Muslims",
          3: "Dozo Communal Militia", 6: "Protesters", 7: "Civilians"}

FIRST_TIMESTAMP = 1_700_000_000
ACCESS_LIFETIME_S = 24 * 3600
REFRESH_LIFETIME_S = 14 * 24 * 3600


@dataclass
class RecordedRequest:
    """One request as the server saw it: query parameters and form fields, lists flattened to one value."""

    method: str
    path: str
    params: dict[str, str]
    form: dict[str, str]
    authorization: str | None


@dataclass
class _Failure:
    status: int
    body: Any
    path: str | None
    retry_after: str | None
    stall_s: float = 0.0
    reflect: bool = False


@dataclass
class _State:
    rows: list[dict[str, str]] = field(default_factory=list)
    deletions: list[dict[str, str]] = field(default_factory=list)
    access: dict[str, float] = field(default_factory=dict)   # token -> expiry (epoch seconds)
    refresh: dict[str, float] = field(default_factory=dict)
    failures: list[_Failure] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    next_timestamp: int = FIRST_TIMESTAMP


def make_rows(count: int, seed: int, first_timestamp: int = FIRST_TIMESTAMP,
              first_number: int = 1) -> list[dict[str, str]]:
    """ACLED-shaped rows with every value a string, as ACLED's JSON sends them."""
    rng = random.Random(seed)
    return [_make_row(rng, first_number + i, first_timestamp + i * 60) for i in range(count)]


def _make_row(rng: random.Random, number: int, timestamp: int) -> dict[str, str]:
    country = rng.choice(sorted(COUNTRIES))
    prefix, iso, region, admin1s, (lat, lon) = COUNTRIES[country]
    disorder, event_type, sub_event, inter1, inter2, notes = rng.choice(EVENT_KINDS)
    day = date(2023, 1, 1) + timedelta(days=rng.randrange(730))
    low, high = sorted((inter1, inter2))
    interaction = f"{low}{high}" if low else f"{high}0"
    admin1 = rng.choice(admin1s)
    return {
        "event_id_cnty": f"{prefix}{number}", "event_date": day.isoformat(), "year": str(day.year),
        "time_precision": str(rng.choice((1, 1, 1, 2, 3))), "disorder_type": disorder,
        "event_type": event_type, "sub_event_type": sub_event, "actor1": ACTORS[inter1],
        "assoc_actor_1": "", "inter1": str(inter1), "actor2": ACTORS[inter2], "assoc_actor_2": "",
        "inter2": str(inter2), "interaction": interaction,
        "civilian_targeting": "Civilian targeting" if inter2 == 7 else "", "iso": str(iso),
        "region": region, "country": country, "admin1": admin1, "admin2": f"{admin1} Cercle",
        "admin3": "", "location": f"Village {number}",
        "latitude": f"{lat + rng.uniform(-2, 2):.4f}", "longitude": f"{lon + rng.uniform(-2, 2):.4f}",
        "geo_precision": str(rng.choice((1, 1, 2, 3))), "source": "Local Source; Reuters",
        "source_scale": "National-International", "notes": f"On {day:%d %B %Y}, {notes}",
        "fatalities": str(rng.choice((0, 0, 1, 2, 5, 12))), "tags": "", "timestamp": str(timestamp),
    }


def _compare(value: int | str, op: str, bound: int | str) -> bool:
    return {">=": value >= bound, ">": value > bound, "<=": value <= bound, "<": value < bound,
            "=": value == bound}.get(op, value == bound)


class AcledTestServer:
    """A threaded HTTP server on 127.0.0.1 and an ephemeral port, seeded with ``events`` rows."""

    def __init__(self, *, events: int = 300, seed: int = 7, username: str = "analyst@example.org",
                 password: str = "s3cret-Passw0rd!") -> None:
        self.username, self.password = username, password
        self._lock = threading.Lock()
        self._state = _State(rows=make_rows(events, seed), next_timestamp=FIRST_TIMESTAMP + events * 60)
        self._seed = seed
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> AcledTestServer:
        handler = type("Handler", (_Handler,), {"api": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            assert self._thread is not None
            self._thread.join()
            self._httpd = self._thread = None

    def __enter__(self) -> AcledTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- what tests read -----------------------------------------------------------------------

    @property
    def rows(self) -> list[dict[str, str]]:
        with self._lock:
            return [dict(row) for row in self._state.rows]

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._state.requests)

    def issued_tokens(self) -> set[str]:
        """Every access and refresh token ever issued, to check none leaks into files or messages."""
        with self._lock:
            return set(self._state.access) | set(self._state.refresh)

    def grants(self) -> list[str]:
        """The grant_type of each token request, in order."""
        return [r.form.get("grant_type", "") for r in self.requests if r.path == "/oauth/token"]

    # -- steering ------------------------------------------------------------------------------

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._state.access = dict.fromkeys(self._state.access, 0.0)

    def expire_refresh_tokens(self) -> None:
        with self._lock:
            self._state.refresh = dict.fromkeys(self._state.refresh, 0.0)

    def fail_next(self, count: int, status: int = 500, *, body: Any = None, path: str | None = None,
                  retry_after: str | None = None) -> None:
        """Answer the next ``count`` requests (to ``path``, if given) with ``status`` and ``body``."""
        with self._lock:
            self._state.failures += [_Failure(status, body, path, retry_after) for _ in range(count)]

    def stall_next(self, count: int, seconds: float, *, path: str | None = None) -> None:
        """Sleep before answering the next ``count`` requests normally, to provoke client timeouts."""
        with self._lock:
            self._state.failures += [_Failure(0, None, path, None, seconds) for _ in range(count)]

    def reflect_next(self, count: int, status: int = 400, *, path: str | None = None) -> None:
        """Answer the next ``count`` requests with ``status`` and an error that echoes the request:
        its query, its form body both as sent (URL-encoded) and decoded, and its Authorization."""
        with self._lock:
            self._state.failures += [_Failure(status, None, path, None, reflect=True)
                                     for _ in range(count)]

    def add_events(self, count: int) -> list[dict[str, str]]:
        """New events with timestamps after every existing one, as an ACLED update would bring."""
        with self._lock:
            first = self._state.next_timestamp
            new = make_rows(count, self._seed + first, first, len(self._state.rows) + 100_000)
            self._state.rows += new
            self._state.next_timestamp = first + count * 60
            return [dict(row) for row in new]

    def delete_events(self, event_ids: list[str]) -> int:
        """Remove events and list them on the deletions endpoint; returns the deletion timestamp."""
        with self._lock:
            stamp = self._state.next_timestamp
            self._state.next_timestamp += 60
            self._state.rows = [r for r in self._state.rows if r["event_id_cnty"] not in event_ids]
            self._state.deletions += [{"event_id_cnty": e, "deleted_timestamp": str(stamp)}
                                      for e in event_ids]
            return stamp

    # -- request handling (called from handler threads) ----------------------------------------

    def _take_failure(self, path: str) -> _Failure | None:
        with self._lock:
            for i, failure in enumerate(self._state.failures):
                if failure.path is None or failure.path == path:
                    return self._state.failures.pop(i)
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._state.requests.append(request)

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != "acled":
            return 400, {"error": "invalid_client", "error_description": "Client authentication failed"}
        with self._lock:
            if form.get("grant_type") == "password":
                if (form.get("username"), form.get("password")) != (self.username, self.password):
                    return 401, {"error": "invalid_grant",
                                 "error_description": "The user credentials were incorrect."}
            elif form.get("grant_type") == "refresh_token":
                old = form.get("refresh_token", "")
                if self._state.refresh.get(old, 0.0) <= time.time():
                    return 401, {"error": "invalid_grant",
                                 "error_description": "The refresh token is invalid."}
                del self._state.refresh[old]  # refresh tokens rotate
            else:
                return 400, {"error": "unsupported_grant_type"}
            access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
            self._state.access[access] = time.time() + ACCESS_LIFETIME_S
            self._state.refresh[refresh] = time.time() + REFRESH_LIFETIME_S
        return 200, {"token_type": "Bearer", "expires_in": ACCESS_LIFETIME_S,
                     "access_token": access, "refresh_token": refresh}

    def _authorized(self, header: str | None) -> bool:
        token = (header or "").removeprefix("Bearer ")
        with self._lock:
            return self._state.access.get(token, 0.0) > time.time()

    def _read(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            rows = [r for r in self._state.rows if self._matches(r, params)]
        rows.sort(key=lambda r: (r["event_id_cnty"][:3], int(r["event_id_cnty"][3:])))
        return self._page(rows, params)

    @staticmethod
    def _matches(row: dict[str, str], params: dict[str, str]) -> bool:
        if "country" in params and row["country"] not in params["country"].split("|"):
            return False
        if "event_date" in params:
            bounds = params["event_date"].split("|")
            if params.get("event_date_where", "").upper() == "BETWEEN" and len(bounds) == 2:
                if not bounds[0] <= row["event_date"] <= bounds[1]:
                    return False
            elif row["event_date"] != bounds[0]:
                return False
        if "timestamp" in params:
            op = params.get("timestamp_where", "=")
            if not _compare(int(row["timestamp"]), op, int(params["timestamp"])):
                return False
        return True

    def _deleted(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            rows = list(self._state.deletions)
        if "deleted_timestamp" in params:
            op, bound = params.get("deleted_timestamp_where", "="), int(params["deleted_timestamp"])
            rows = [r for r in rows if _compare(int(r["deleted_timestamp"]), op, bound)]
        return self._page(rows, params)

    def _page(self, rows: list[dict[str, str]], params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if params.get("_format", "json") != "json":
            return 400, {"status": 400, "success": False, "error": [{"message": "Only json here"}]}
        limit, page = int(params.get("limit", "5000")), int(params.get("page", "1"))
        chunk = rows[(page - 1) * limit: page * limit]
        body: dict[str, Any] = {"status": 200, "success": True, "last_update": 12, "data": chunk}
        if params.get("with_total") == "true":
            body.update(count=len(chunk), total_count=len(rows))
        return 200, body


class _Handler(BaseHTTPRequestHandler):
    api: AcledTestServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        split = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        auth = self.headers.get("Authorization")
        self.api._record(RecordedRequest(method, split.path, params, form, auth))
        failure = self.api._take_failure(split.path)
        if failure and failure.stall_s:
            time.sleep(failure.stall_s)
            failure = None
        if failure and failure.reflect:
            self._reply(failure.status, {"status": failure.status, "success": False, "error": {
                "message": f"cannot process {method} {self.path} with body {raw} "
                           f"(fields {json.dumps(form)}), authorization {auth}"}})
        elif failure:
            body = failure.body if failure.body is not None else {
                "status": failure.status, "success": False, "error": f"Injected HTTP {failure.status}"}
            self._reply(failure.status, body, failure.retry_after)
        elif method == "POST" and split.path == "/oauth/token":
            self._reply(*self.api._token(form))
        elif method == "GET" and split.path in ("/api/acled/read", "/api/deleted/read"):
            if not self.api._authorized(auth):
                self._reply(401, {"status": 401, "success": False,
                                  "error": "Access token is missing, invalid or expired"})
            elif split.path == "/api/acled/read":
                self._reply(*self.api._read(params))
            else:
                self._reply(*self.api._deleted(params))
        else:
            self._reply(404, {"status": 404, "success": False, "error": "Not found"})

    def _reply(self, status: int, body: Any, retry_after: str | None = None) -> None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(body, bytes) else "text/html")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing left to tell it

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; tests read ``AcledTestServer.requests`` instead."""
