"""The ACLED API client against a real HTTP server on loopback (tests/acled_server.py)."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import stat
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # until the lead's pytest config puts tests/ on the path

from acled_server import ACLED_FIELDS, AcledTestServer  # noqa: E402

from sahelsim.errors import UserError  # noqa: E402
from sahelsim.evidence.acled_api import (  # noqa: E402
    AcledCredentials,
    FetchResult,
    checked_base_url,
    fetch_acled,
    load_credentials,
)


@pytest.fixture
def server() -> Iterator[AcledTestServer]:
    with AcledTestServer() as running:
        yield running


@pytest.fixture
def creds(server: AcledTestServer) -> AcledCredentials:
    return AcledCredentials(server.username, server.password)


def fetch(server: AcledTestServer, creds: AcledCredentials, out: Path, **kwargs: Any) -> FetchResult:
    """fetch_acled with test-friendly defaults: small pages, near-zero backoff."""
    kwargs.setdefault("page_size", 100)
    kwargs.setdefault("backoff_base", 0.001)
    return fetch_acled(creds, out, base_url=server.url, **kwargs)


def saved_rows(result: FetchResult) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for page in result.pages:
        body = json.loads(page.read_text())
        assert body["status"] == 200 and isinstance(body["data"], list)
        rows += body["data"]
    return rows


def reads(server: AcledTestServer, path: str = "/api/acled/read") -> list[dict[str, str]]:
    return [r.params for r in server.requests if r.path == path]


# -- reading --------------------------------------------------------------------------------------


def test_full_fetch_pages_until_a_short_page(server: AcledTestServer, creds: AcledCredentials,
                                              tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    result = fetch(server, creds, tmp_path, page_size=128, progress=lambda n, t: seen.append((n, t)))
    assert [p.name for p in result.pages] == [f"acled-page-000{i}.json" for i in (1, 2, 3)]
    rows = saved_rows(result)
    assert sorted(r["event_id_cnty"] for r in rows) == sorted(r["event_id_cnty"] for r in server.rows)
    assert all(list(r) == list(ACLED_FIELDS) for r in rows)
    assert result.events == 300 and result.deletions is None and result.deleted == 0
    assert result.max_timestamp == max(int(r["timestamp"]) for r in server.rows)
    assert seen == [(128, 300), (256, 300), (300, 300)]
    params = reads(server)
    assert [p["page"] for p in params] == ["1", "2", "3"]
    assert all(p["_format"] == "json" and p["inter_num"] == "1" and p["limit"] == "128" for p in params)
    assert params[0].get("with_total") == "true" and "with_total" not in params[1]


def test_exact_multiple_of_page_size_asks_for_one_more_page_but_keeps_it_out(
        server: AcledTestServer, creds: AcledCredentials, tmp_path: Path) -> None:
    result = fetch(server, creds, tmp_path, page_size=100)
    assert [p["page"] for p in reads(server)] == ["1", "2", "3", "4"]
    assert len(result.pages) == 3 and result.events == 300
    assert sorted(tmp_path.iterdir()) == result.pages


def test_pages_are_saved_byte_for_byte(server: AcledTestServer, creds: AcledCredentials,
                                       tmp_path: Path) -> None:
    result = fetch(server, creds, tmp_path, page_size=1000)
    token = next(r.authorization for r in server.requests if r.authorization)
    direct = httpx.get(f"{server.url}/api/acled/read", headers={"Authorization": token},
                       params={"_format": "json", "limit": "1000", "page": "1", "inter_num": "1",
                               "with_total": "true"})
    assert result.pages[0].read_bytes() == direct.content


def test_country_filter_is_pipe_joined(server: AcledTestServer, creds: AcledCredentials,
                                       tmp_path: Path) -> None:
    result = fetch(server, creds, tmp_path, country=["Burkina Faso", "Niger"])
    expected = {r["event_id_cnty"] for r in server.rows if r["country"] in ("Burkina Faso", "Niger")}
    assert {r["event_id_cnty"] for r in saved_rows(result)} == expected
    assert 0 < len(expected) < 300 and result.events == len(expected)
    assert reads(server)[0]["country"] == "Burkina Faso|Niger"


def test_event_date_filter_is_between(server: AcledTestServer, creds: AcledCredentials,
                                      tmp_path: Path) -> None:
    window = (date(2023, 3, 1), date(2023, 8, 31))
    result = fetch(server, creds, tmp_path, event_date=window)
    expected = {r["event_id_cnty"] for r in server.rows if "2023-03-01" <= r["event_date"] <= "2023-08-31"}
    assert {r["event_id_cnty"] for r in saved_rows(result)} == expected and expected
    first = reads(server)[0]
    assert (first["event_date"], first["event_date_where"]) == ("2023-03-01|2023-08-31", "BETWEEN")


def test_incremental_fetch_reads_new_events_and_deletions(server: AcledTestServer,
                                                          creds: AcledCredentials,
                                                          tmp_path: Path) -> None:
    first = fetch(server, creds, tmp_path / "full")
    assert first.max_timestamp is not None
    new = server.add_events(7)
    gone = [server.rows[0]["event_id_cnty"], server.rows[1]["event_id_cnty"]]
    deleted_at = server.delete_events(gone)

    result = fetch(server, creds, tmp_path / "inc", since_timestamp=first.max_timestamp + 1)
    assert sorted(r["event_id_cnty"] for r in saved_rows(result)) == sorted(r["event_id_cnty"] for r in new)
    assert result.max_timestamp == max(int(r["timestamp"]) for r in new)
    assert reads(server)[-1]["timestamp_where"] == ">="
    assert result.deletions == tmp_path / "inc" / "acled-deletions.csv" and result.deleted == 2
    with result.deletions.open(newline="") as handle:
        assert list(csv.reader(handle)) == [["event_id_cnty", "deleted_timestamp"],
                                            *[[e, str(deleted_at)] for e in gone]]
    deleted_params = reads(server, "/api/deleted/read")[0]
    assert deleted_params["deleted_timestamp"] == str(first.max_timestamp + 1)
    assert deleted_params["deleted_timestamp_where"] == ">=" and deleted_params["_format"] == "json"


def test_incremental_fetch_with_nothing_new_writes_empty_page_and_header(server: AcledTestServer,
                                                                         creds: AcledCredentials,
                                                                         tmp_path: Path) -> None:
    result = fetch(server, creds, tmp_path, since_timestamp=2_000_000_000)
    assert result.events == 0 and result.max_timestamp is None and result.deleted == 0
    assert len(result.pages) == 1 and result.deletions is not None
    assert result.deletions.read_text().splitlines() == ["event_id_cnty,deleted_timestamp"]


def test_a_new_fetch_replaces_the_previous_pages(server: AcledTestServer, creds: AcledCredentials,
                                                 tmp_path: Path) -> None:
    fetch(server, creds, tmp_path, page_size=50)
    result = fetch(server, creds, tmp_path, page_size=1000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acled-page-0001.json"] == [
        p.name for p in result.pages]


def test_a_failed_fetch_keeps_the_previous_pages(server: AcledTestServer, creds: AcledCredentials,
                                                 tmp_path: Path) -> None:
    before = fetch(server, creds, tmp_path, page_size=1000)
    content = before.pages[0].read_bytes()
    server.fail_next(1, 403, path="/api/acled/read")
    with pytest.raises(UserError):
        fetch(server, creds, tmp_path, page_size=1000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acled-page-0001.json"]
    assert before.pages[0].read_bytes() == content


# -- tokens ---------------------------------------------------------------------------------------


def test_login_sends_the_password_grant(server: AcledTestServer, creds: AcledCredentials,
                                        tmp_path: Path) -> None:
    fetch(server, creds, tmp_path)
    login = next(r for r in server.requests if r.path == "/oauth/token")
    assert login.method == "POST"
    assert login.form == {"username": creds.username, "password": creds.password,
                          "grant_type": "password", "client_id": "acled", "scope": "authenticated"}
    assert all(r.authorization and r.authorization.startswith("Bearer ") for r in server.requests
               if r.path != "/oauth/token")


def test_token_cache_avoids_logging_in_again(server: AcledTestServer, creds: AcledCredentials,
                                             tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "acled-token.json"
    fetch(server, creds, tmp_path / "a", token_cache=cache)
    fetch(server, creds, tmp_path / "b", token_cache=cache)
    assert server.grants() == ["password"]
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_token_cache_of_another_account_is_ignored(server: AcledTestServer, creds: AcledCredentials,
                                                   tmp_path: Path) -> None:
    cache = tmp_path / "token.json"
    fetch(server, creds, tmp_path / "a", token_cache=cache)
    other = AcledCredentials("someone@example.org", "other")
    with pytest.raises(UserError, match="rejected the username or password"):
        fetch(server, other, tmp_path / "b", token_cache=cache)


def test_damaged_token_cache_costs_one_login(server: AcledTestServer, creds: AcledCredentials,
                                             tmp_path: Path) -> None:
    cache = tmp_path / "token.json"
    cache.write_text("{not json")
    fetch(server, creds, tmp_path / "a", token_cache=cache)
    assert server.grants() == ["password"] and json.loads(cache.read_text())["access_token"]


def test_server_side_expiry_refreshes_and_retries(server: AcledTestServer, creds: AcledCredentials,
                                                  tmp_path: Path) -> None:
    cache = tmp_path / "token.json"
    fetch(server, creds, tmp_path / "a", token_cache=cache)
    server.expire_access_tokens()
    result = fetch(server, creds, tmp_path / "b", token_cache=cache)
    assert result.events == 300
    assert server.grants() == ["password", "refresh_token"]
    refresh = [r for r in server.requests if r.path == "/oauth/token"][1]
    assert set(refresh.form) == {"grant_type", "refresh_token", "client_id"}
    assert refresh.form["client_id"] == "acled"


def test_local_expiry_refreshes_without_a_401(server: AcledTestServer, creds: AcledCredentials,
                                              tmp_path: Path) -> None:
    cache = tmp_path / "token.json"
    fetch(server, creds, tmp_path / "a", token_cache=cache)
    cached = json.loads(cache.read_text())
    cache.write_text(json.dumps({**cached, "access_expires_at": 0}))
    fetch(server, creds, tmp_path / "b", token_cache=cache)
    assert server.grants() == ["password", "refresh_token"]
    assert not any(r.authorization == f"Bearer {cached['access_token']}" for r in server.requests[-5:])


def test_token_expiring_mid_fetch_is_refreshed(server: AcledTestServer, creds: AcledCredentials,
                                               tmp_path: Path) -> None:
    def expire_after_first_page(done: int, total: int | None) -> None:
        if done == 100:
            server.expire_access_tokens()

    result = fetch(server, creds, tmp_path, progress=expire_after_first_page)
    assert result.events == 300 and len({r["event_id_cnty"] for r in saved_rows(result)}) == 300
    assert server.grants() == ["password", "refresh_token"]


def test_expired_refresh_token_logs_in_again(server: AcledTestServer, creds: AcledCredentials,
                                             tmp_path: Path) -> None:
    cache = tmp_path / "token.json"
    fetch(server, creds, tmp_path / "a", token_cache=cache)
    server.expire_access_tokens()
    server.expire_refresh_tokens()
    result = fetch(server, creds, tmp_path / "b", token_cache=cache)
    assert result.events == 300
    assert server.grants() == ["password", "refresh_token", "password"]


def test_bad_password_is_one_line_without_the_password(server: AcledTestServer, tmp_path: Path) -> None:
    wrong = AcledCredentials(server.username, "wrong-Passw0rd-xyz")
    with pytest.raises(UserError) as caught:
        fetch(server, wrong, tmp_path / "out")
    message = str(caught.value)
    assert "rejected the username or password" in message and "401" in message
    assert "\n" not in message and wrong.password not in message
    assert not list((tmp_path / "out").iterdir())
    assert server.grants() == ["password"]  # a refused password is not retried


# -- failures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_transient_statuses_are_retried(server: AcledTestServer, creds: AcledCredentials,
                                        tmp_path: Path, status: int) -> None:
    server.fail_next(2, status, path="/api/acled/read")
    server.fail_next(1, status, path="/oauth/token")
    result = fetch(server, creds, tmp_path)
    assert result.events == 300
    assert [p["page"] for p in reads(server)] == ["1", "1", "1", "2", "3", "4"]


def test_retry_after_is_honoured(server: AcledTestServer, creds: AcledCredentials, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("sahelsim.evidence.acled_api.time.sleep", slept.append)
    server.fail_next(1, 429, path="/api/acled/read", retry_after="7")
    fetch(server, creds, tmp_path)
    assert slept == [7.0]


def test_backoff_grows_exponentially(server: AcledTestServer, creds: AcledCredentials, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("sahelsim.evidence.acled_api.time.sleep", slept.append)
    server.fail_next(3, 503, path="/api/acled/read")
    fetch(server, creds, tmp_path, backoff_base=0.5)
    assert slept == [0.5, 1.0, 2.0]


def test_persistent_server_errors_give_up_with_a_user_error(server: AcledTestServer,
                                                            creds: AcledCredentials,
                                                            tmp_path: Path) -> None:
    server.fail_next(10, 500, path="/api/acled/read")
    with pytest.raises(UserError, match=r"HTTP 500.*try again later"):
        fetch(server, creds, tmp_path, retries=2)
    assert len(reads(server)) == 3


def test_forbidden_is_a_user_error(server: AcledTestServer, creds: AcledCredentials,
                                   tmp_path: Path) -> None:
    server.fail_next(1, 403, path="/api/acled/read",
                     body={"status": 403, "success": False,
                           "error": {"message": "Your account does not have access to the API."}})
    with pytest.raises(UserError, match="403.*does not have access to the API") as caught:
        fetch(server, creds, tmp_path)
    assert "\n" not in str(caught.value)


def test_unsuccessful_body_is_a_user_error(server: AcledTestServer, creds: AcledCredentials,
                                           tmp_path: Path) -> None:
    server.fail_next(1, 200, path="/api/acled/read",
                     body={"status": 400, "success": False,
                           "error": [{"message": "Invalid\nfilter: counrty"}]})
    with pytest.raises(UserError, match="API error on /api/acled/read: Invalid filter: counrty$"):
        fetch(server, creds, tmp_path)


def test_non_json_answer_is_a_user_error(server: AcledTestServer, creds: AcledCredentials,
                                         tmp_path: Path) -> None:
    server.fail_next(1, 200, path="/api/acled/read", body=b"<html>maintenance</html>")
    with pytest.raises(UserError, match="not JSON"):
        fetch(server, creds, tmp_path)


def test_unreachable_server_is_a_user_error(creds: AcledCredentials, tmp_path: Path) -> None:
    closed = AcledTestServer()
    closed.start()
    url = closed.url
    closed.stop()
    with pytest.raises(UserError, match="cannot reach ACLED at " + url) as caught:
        fetch_acled(creds, tmp_path, base_url=url, retries=1, backoff_base=0.001)
    assert creds.password not in str(caught.value)


def test_timeout_is_a_user_error(server: AcledTestServer, creds: AcledCredentials,
                                 tmp_path: Path) -> None:
    server.stall_next(2, 0.5, path="/api/acled/read")
    with httpx.Client(timeout=0.1) as client, pytest.raises(UserError, match="did not answer in time"):
        fetch(server, creds, tmp_path, client=client, retries=1)


def test_a_timeout_is_retried(server: AcledTestServer, creds: AcledCredentials, tmp_path: Path) -> None:
    server.stall_next(1, 0.5, path="/api/acled/read")
    with httpx.Client(timeout=0.2) as client:
        assert fetch(server, creds, tmp_path, client=client).events == 300


def test_secrets_never_reach_saved_files_or_messages(server: AcledTestServer, creds: AcledCredentials,
                                                     tmp_path: Path) -> None:
    cache = tmp_path / "token.json"
    out = tmp_path / "out"
    first = fetch(server, creds, out, token_cache=cache)
    server.add_events(3)
    server.delete_events([server.rows[5]["event_id_cnty"]])
    server.expire_access_tokens()
    fetch(server, creds, out, token_cache=cache, since_timestamp=first.max_timestamp)
    messages = []
    for status in (403, 500, 404):
        server.fail_next(10, status)
        with pytest.raises(UserError) as caught:
            fetch(server, creds, tmp_path / "failed", token_cache=cache, retries=1)
        messages.append(str(caught.value))
    secrets_ = {creds.password, *server.issued_tokens()}
    assert len(secrets_) >= 4
    saved = [p for p in tmp_path.rglob("*") if p.is_file() and p != cache]
    assert saved and all(s not in p.read_text() for p in saved for s in secrets_)
    assert all(s not in m for m in messages for s in secrets_)
    assert all("\n" not in m for m in messages)


# -- credentials ----------------------------------------------------------------------------------


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACLED_USERNAME", raising=False)
    monkeypatch.delenv("ACLED_PASSWORD", raising=False)


def test_credentials_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACLED_USERNAME", "env@example.org")
    monkeypatch.setenv("ACLED_PASSWORD", "env-pass")
    config = tmp_path / "config.toml"
    config.write_text('[acled]\nusername = "file@example.org"\npassword = "file-pass"\n')
    assert load_credentials(config) == AcledCredentials("env@example.org", "env-pass")


@pytest.mark.usefixtures("no_env")
def test_credentials_from_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[acled]\nusername = "file@example.org"\npassword = "file-pass"\n')
    assert load_credentials(config) == AcledCredentials("file@example.org", "file-pass")


@pytest.mark.usefixtures("no_env")
def test_default_config_path_is_the_user_config_dir(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("platformdirs.user_config_dir", lambda app: str(tmp_path / app))
    (tmp_path / "sahelsim").mkdir()
    (tmp_path / "sahelsim" / "config.toml").write_text('[acled]\nusername = "u"\npassword = "p"\n')
    assert load_credentials() == AcledCredentials("u", "p")


@pytest.mark.usefixtures("no_env")
@pytest.mark.parametrize("content", [None, "", '[acled]\nusername = "only-user"\n', "[other]\nx = 1\n"])
def test_missing_credentials_say_what_to_set(tmp_path: Path, content: str | None) -> None:
    config = tmp_path / "config.toml"
    if content is not None:
        config.write_text(content)
    with pytest.raises(UserError) as caught:
        load_credentials(config)
    message = str(caught.value)
    assert "ACLED_USERNAME" in message and "ACLED_PASSWORD" in message and str(config) in message
    assert "\n" not in message


@pytest.mark.usefixtures("no_env")
def test_invalid_config_does_not_echo_the_password(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[acled]\nusername = "u"\npassword = "hunter2-secret\n')
    with pytest.raises(UserError, match="invalid TOML") as caught:
        load_credentials(config)
    assert "hunter2" not in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.usefixtures("no_env")
def test_a_config_that_is_not_utf8_text_is_one_line(tmp_path: Path) -> None:
    """A --config naming a binary file (the store, say): one line, and none of its bytes echoed
    (found by the command-line fuzzer; the bytes may hold a password in another encoding)."""
    config = tmp_path / "config.toml"
    config.write_bytes(b'[acled]\nusername = "u"\npassword = "caf\xe9-secret"\n')
    with pytest.raises(UserError, match="not UTF-8 text") as caught:
        load_credentials(config)
    assert "secret" not in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.file == str(config)


def test_credentials_repr_hides_the_password() -> None:
    credentials = AcledCredentials("u@example.org", "hunter2-secret")
    assert "hunter2" not in repr(credentials) and "u@example.org" in repr(credentials)


# -- a server that echoes requests, and base URLs -------------------------------------------------

ODD_PASSWORD = 'pä ss"wörd&=+/%!\\'


@pytest.mark.parametrize("status, path", [(403, "/oauth/token"), (422, "/oauth/token"),
                                          (403, "/api/acled/read"), (418, "/api/acled/read"),
                                          (200, "/api/acled/read")])
def test_a_server_echoing_the_request_never_puts_secrets_in_the_message(tmp_path: Path, status: int,
                                                                        path: str) -> None:
    with AcledTestServer(username="ann.o'hara+acled@example.org", password=ODD_PASSWORD) as server:
        creds = AcledCredentials(server.username, server.password)
        server.reflect_next(1, status, path=path)
        with pytest.raises(UserError) as caught:
            fetch(server, creds, tmp_path)
        message = str(caught.value)
        answer = server.requests[-1]
        secrets_ = [creds.username, creds.password, *server.issued_tokens()]
    assert "cannot process" in message and "\n" not in message  # the echo is shown, scrubbed
    spellings = {form for secret in secrets_ for form in (
        secret, quote_plus(secret), quote(secret, safe=""), json.dumps(secret)[1:-1])}
    assert not [s for s in spellings if s in message], message
    assert answer.path == path


@pytest.mark.parametrize("base_url", ["http://[::1", "http://" + "h" * 300, "htp://x", "ftp://x",
                                      "x", "http://", "http://a b.org", "http://x:99999",
                                      "https://acleddata.com?x=1", "http://" + "a" * 64 + ".org"])
def test_a_malformed_base_url_fails_at_once_without_retrying(tmp_path: Path, creds: AcledCredentials,
                                                             base_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("sahelsim.evidence.acled_api.time.sleep", slept.append)
    with pytest.raises(UserError) as caught:
        fetch_acled(creds, tmp_path / "out", base_url=base_url)
    assert caught.value.field == "--base-url" and "\n" not in str(caught.value)
    assert slept == [] and not (tmp_path / "out").exists()


@pytest.mark.parametrize("base_url", ["https://acleddata.com", "https://acleddata.com/",
                                      "http://127.0.0.1:8080/proxy", "http://[::1]:8080",
                                      "https://acled.example.org./api-root"])
def test_well_formed_base_urls_are_accepted(base_url: str) -> None:
    assert checked_base_url(base_url) == base_url.rstrip("/")


def test_json_nested_past_the_recursion_limit_is_a_user_error(server: AcledTestServer,
                                                              creds: AcledCredentials,
                                                              tmp_path: Path) -> None:
    server.fail_next(1, 200, path="/api/acled/read", body=b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(UserError, match="not JSON"):
        fetch(server, creds, tmp_path)


def test_a_deeply_nested_token_cache_costs_one_login(server: AcledTestServer, creds: AcledCredentials,
                                                     tmp_path: Path) -> None:
    cache = tmp_path / "token.json"
    cache.write_text("[" * 100_000 + "]" * 100_000)
    fetch(server, creds, tmp_path / "a", token_cache=cache)
    assert server.grants() == ["password"]


@pytest.mark.usefixtures("no_env")
def test_cli_reports_a_malformed_base_url_in_one_line(sahelsim, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[acled]\nusername = "u@example.org"\npassword = "p"\n')
    result = sahelsim("fetch", "acled", "--config", config, "--base-url", "http://[::1", timeout=60)
    assert result.code == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # no progress line above it
    assert result.stderr.startswith("error: field '--base-url': not a URL")


def test_a_killed_fetchs_staging_folder_is_removed_by_the_next(server: AcledTestServer,
                                                               creds: AcledCredentials,
                                                               tmp_path: Path) -> None:
    stale, busy = tmp_path / ".partial-killed", tmp_path / ".partial-busy"
    for folder in (stale, busy):
        folder.mkdir()
        (folder / "acled-page-0001.json").write_text("{}")
    held = os.open(busy, os.O_RDONLY)  # as a fetch still running holds its own
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = fetch(server, creds, tmp_path, page_size=1000)
    finally:
        os.close(held)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".partial-busy", "acled-page-0001.json"]
    assert result.pages == [tmp_path / "acled-page-0001.json"]
