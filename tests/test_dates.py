"""Event dates: every layout ACLED has shipped is read right, and no impossible date is stored."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from acled_files import HEADER, event, stored, write_acled
from sahelsim.errors import UserError
from sahelsim.evidence.dates import LEADING_RECORDS
from sahelsim.evidence.ingest import ingest

TODAY = dt.date.today()


def quarantined(db: Path) -> list[tuple]:
    return [(q["row"], q["field"], q["reason"])
            for q in stored(db, "SELECT * FROM quarantine ORDER BY row")]


def dates_of(db: Path) -> list[str]:
    return [row["event_date"].isoformat() for row in stored(db)]


def rows(*dates: tuple[str, int], **fields: object) -> list[dict[str, str]]:
    """One event per (event_date, year), with ids in file order."""
    return [event(event_id_cnty=f"MLI{n}", event_date=text, year=year, **fields)
            for n, (text, year) in enumerate(dates, start=1)]


@pytest.mark.parametrize("text, iso", [
    ("01-January-2015", "2015-01-01"),     # ACLED 2015 exports
    ("31 Dec 2019", "2019-12-31"),
    ("December 31, 2019", "2019-12-31"),
    ("2019-12-31", "2019-12-31"),
    ("21 March 2020", "2020-03-21"),
    ("9-May-20", "2020-05-09"),
    ("2022-09-23", "2022-09-23"),
    ("2019-12-31 00:00:00", "2019-12-31"),  # the API's time of day
    ("  31-DEC-2019 ", "2019-12-31"),
    ("01-Sept-2015", "2015-09-01"),
    ("1 janvier 2020", "2020-01-01"),
    ("1er janvier 2020", "2020-01-01"),
    ("12 février 2020", "2020-02-12"),
    ("12 fevrier 2020", "2020-02-12"),
    ("3 mars 2021", "2021-03-03"),
    ("4 avril 2021", "2021-04-04"),
    ("5 mai 2021", "2021-05-05"),
    ("6 juin 2021", "2021-06-06"),
    ("7 juillet 2021", "2021-07-07"),
    ("15 août 2021", "2021-08-15"),
    ("15 aout 2021", "2021-08-15"),
    ("9 septembre 2021", "2021-09-09"),
    ("10 octobre 2021", "2021-10-10"),
    ("11 novembre 2021", "2021-11-11"),
    ("25 DÉCEMBRE 2021", "2021-12-25"),
    ("25 decembre 2021", "2021-12-25"),
    ("3 janv. 2022", "2022-01-03"),
    ("3 févr. 2022", "2022-02-03"),
    ("3 avr. 2022", "2022-04-03"),
    ("3 juil. 2022", "2022-07-03"),
    ("3 sept. 2022", "2022-09-03"),
    ("3 oct. 2022", "2022-10-03"),
    ("3 nov. 2022", "2022-11-03"),
    ("3 déc. 2022", "2022-12-03"),
    ("3-juil.-22", "2022-07-03"),
])
def test_every_layout_is_read(tmp_path, db, text, iso):
    summary = ingest([write_acled(tmp_path / "a.csv", rows((text, iso[:4])))], db)
    assert (summary.inserted, summary.rejected) == (1, 0), quarantined(db)
    assert dates_of(db) == [iso]
    assert stored(db)[0]["year"] == int(iso[:4])


def test_a_2015_export_of_full_month_names_is_read_whole(tmp_path, db):
    days = [f"{day:02d}-{month}-2015" for month in ("January", "February", "June", "July")
            for day in (1, 15, 28)]
    summary = ingest([write_acled(tmp_path / "2015.csv", rows(*((d, 2015) for d in days)))], db)
    assert (summary.inserted, summary.rejected) == (len(days), 0)
    assert dates_of(db)[:2] == ["2015-01-01", "2015-01-15"]


def test_an_unknown_month_name_is_quarantined(tmp_path, db):
    summary = ingest([write_acled(tmp_path / "a.csv", rows(("3 brumaire 2022", 2022)))], db)
    assert summary.rejected == 1
    assert quarantined(db) == [(1, "event_date", "unreadable date 3 brumaire 2022")]


@pytest.mark.parametrize("text, year, iso", [
    ("31-12-19", 2019, "2019-12-31"),
    ("9-May-97", 1997, "1997-05-09"),
    ("09-May-99", 1999, "1999-05-09"),
    ("9-May-00", 2000, "2000-05-09"),
    ("9 mai 16", 2016, "2016-05-09"),
])
def test_two_digit_years_are_read_in_acleds_span(tmp_path, db, text, year, iso):
    ingest([write_acled(tmp_path / "a.csv", rows((text, year)))], db)
    assert dates_of(db) == [iso] and stored(db)[0]["year"] == year


def test_two_digit_slash_years_are_this_century(tmp_path, db):
    ingest([write_acled(tmp_path / "a.csv", rows(("1/1/16", 2016), ("25/12/16", 2016)))], db)
    assert dates_of(db) == ["2016-01-01", "2016-12-25"]


def test_a_two_digit_year_beyond_today_is_not_stored(tmp_path, db):
    ingest([write_acled(tmp_path / "a.csv", rows(("9-May-60", 2060)))], db)
    assert quarantined(db) == [
        (1, "event_date", f"date 2060-05-09 is after the day of ingest ({TODAY.isoformat()})")]


def test_a_date_disagreeing_with_the_year_column_is_quarantined(tmp_path, db):
    path = write_acled(tmp_path / "a.csv", rows(("2019-12-31", 2019), ("2019-12-31", 2018),
                                                 ("31-12-19", 2020), ("2019-12-31", "last")))
    summary = ingest([path], db)
    assert (summary.inserted, summary.rejected) == (1, 3)
    assert quarantined(db) == [(2, "event_date", "date 2019-12-31 disagrees with year 2018"),
                               (3, "event_date", "date 2019-12-31 disagrees with year 2020"),
                               (4, "event_date", "date 2019-12-31 disagrees with year last")]


def test_without_a_year_column_the_year_comes_from_the_date(tmp_path, db):
    header = [name for name in HEADER if name != "year"]
    ingest([write_acled(tmp_path / "a.csv", rows(("21 March 2020", 0)), header=header)], db)
    assert stored(db)[0]["year"] == 2020


def test_dates_outside_the_dataset_or_after_today_are_quarantined(tmp_path, db):
    tomorrow = TODAY + dt.timedelta(days=1)
    path = write_acled(tmp_path / "a.csv", rows(
        ("1996-12-31", 1996), ("1997-01-01", 1997), (TODAY.isoformat(), TODAY.year),
        (tomorrow.isoformat(), tomorrow.year), ("0016-01-01", 16)))
    summary = ingest([path], db)
    assert (summary.inserted, summary.rejected) == (2, 3)
    assert dates_of(db) == ["1997-01-01", TODAY.isoformat()]
    assert quarantined(db) == [
        (1, "event_date", "date 1996-12-31 is before ACLED began (1997-01-01)"),
        (4, "event_date", f"date {tomorrow.isoformat()} is after the day of ingest ({TODAY.isoformat()})"),
        (5, "event_date", "date 0016-01-01 is before ACLED began (1997-01-01)")]


UCDP_HEADER = ["id", "year", "type_of_violence", "side_a", "side_b", "latitude", "longitude", "country",
               "date_start", "date_end", "best", "high", "low"]


def write_ucdp(path: Path, dates: list[tuple[str, int]]) -> Path:
    lines = [",".join(UCDP_HEADER)]
    for n, (start, year) in enumerate(dates, start=1):
        lines.append(f"{n},{year},1,Government of Mali,JNIM,14.3,-1.5,Mali,{start},{start},3,4,2")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ucdp_dates_are_iso_with_time_and_bounded_by_the_ged(tmp_path, db):
    path = write_ucdp(tmp_path / "ged.csv", [("1989-01-01 00:00:00.000", 1989), ("1988-12-31", 1988),
                                             ("2019-12-31 00:00:00.000", 2018), ("2024-07-27", 2024)])
    summary = ingest([path], db)
    assert (summary.inserted, summary.rejected) == (2, 2)
    assert dates_of(db) == ["1989-01-01", "2024-07-27"]
    assert quarantined(db) == [
        (2, "date_start", "date 1988-12-31 is before UCDP GED began (1989-01-01)"),
        (3, "date_start", "date 2019-12-31 disagrees with year 2018")]


# Numeric dates: the file's day/month order.

def test_a_day_above_12_makes_the_whole_file_day_first(tmp_path, db):
    path = write_acled(tmp_path / "a.csv", rows(("05/09/2020", 2020), ("25/03/2020", 2020),
                                                 ("2020-01-02", 2020)))
    ingest([path], db)
    assert dates_of(db) == ["2020-09-05", "2020-03-25", "2020-01-02"]


def test_a_second_number_above_12_makes_the_whole_file_month_first(tmp_path, db):
    path = write_acled(tmp_path / "a.csv", rows(("05/09/2020", 2020), ("3/25/2020", 2020),
                                                 ("12-31-19", 2019)))
    ingest([path], db)
    assert dates_of(db) == ["2020-05-09", "2020-03-25", "2019-12-31"]


def test_a_file_mixing_orders_is_refused_naming_a_row_of_each(tmp_path, db):
    ingest([write_acled(tmp_path / "first.csv", [event()])], db)
    path = write_acled(tmp_path / "mixed.csv", rows(("2020-01-01", 2020), ("25/03/2020", 2020),
                                                     ("05/09/2020", 2020), ("03/25/2020", 2020)))
    with pytest.raises(UserError) as error:
        ingest([write_acled(tmp_path / "second.csv", [event(event_id_cnty="MLI2")]), path], db)
    message = str(error.value)
    assert "\n" not in message and str(path) in message
    assert "row 2 (25/03/2020)" in message and "row 4 (03/25/2020)" in message
    assert [row["event_id_cnty"] for row in stored(db)] == ["MLI1001"]  # nothing of this ingest


def test_the_timestamp_decides_when_no_number_does(tmp_path, db):
    changed = int(dt.datetime(2020, 6, 1, tzinfo=dt.timezone.utc).timestamp())
    path = write_acled(tmp_path / "a.csv", rows(("05/09/2020", 2020), ("02/03/2020", 2020),
                                                 timestamp=changed))
    ingest([path], db)  # 5 September would be after the record's last change: May 9
    assert dates_of(db) == ["2020-05-09", "2020-02-03"]


def test_an_undecidable_file_is_refused_saying_how_to_state_the_order(tmp_path, db):
    path = write_acled(tmp_path / "a.csv", rows(("2020-01-01", 2020), ("05/09/2020", 2020)))
    with pytest.raises(UserError) as error:
        ingest([path], db)
    message = str(error.value)
    assert "\n" not in message and str(path) in message and "row 2" in message
    assert "--dayfirst" in message and "--monthfirst" in message
    assert 'date_order="dayfirst"' in message


def test_dates_reading_the_same_either_way_need_no_order(tmp_path, db):
    ingest([write_acled(tmp_path / "a.csv", rows(("1/1/16", 2016), ("07/07/2020", 2020)))], db)
    assert dates_of(db) == ["2016-01-01", "2020-07-07"]


@pytest.mark.parametrize("order, dates", [("dayfirst", ["2020-09-05", None]),
                                          ("monthfirst", ["2020-05-09", "2020-03-25"])])
def test_a_stated_order_is_used_and_rows_against_it_quarantined(tmp_path, db, order, dates):
    path = write_acled(tmp_path / "a.csv", rows(("05/09/2020", 2020), ("3/25/2020", 2020),
                                                 ("2020-01-02", 2020)))
    ingest([path], db, date_order=order)
    assert dates_of(db) == [d for d in dates if d] + ["2020-01-02"]
    if order == "dayfirst":
        assert quarantined(db) == [
            (2, "event_date", "unreadable date 3/25/2020 (numeric dates read day first)")]


def test_an_unknown_order_is_a_user_error(tmp_path, db):
    with pytest.raises(UserError, match="dayfirst"):
        ingest([write_acled(tmp_path / "a.csv", [event()])], db, date_order="yearfirst")


def test_files_without_numeric_dates_ignore_the_stated_order(tmp_path, db):
    path = write_acled(tmp_path / "a.csv", rows(("2020-05-09", 2020), ("9 May 2020", 2020)))
    ingest([path], db, date_order="monthfirst")
    assert dates_of(db) == ["2020-05-09", "2020-05-09"]


def test_api_pages_decide_their_order_too(tmp_path, db):
    path = tmp_path / "page.json"
    page = {"status": 200, "success": True,
            "data": [event(event_id_cnty="MLI1", event_date="05/09/2020", year="2020"),
                     event(event_id_cnty="MLI2", event_date="13/09/2020", year="2020")]}
    path.write_text(json.dumps(page), encoding="utf-8")
    ingest([path], db)
    assert dates_of(db) == ["2020-09-05", "2020-09-13"]


def test_numeric_dates_far_down_a_file_are_decided_too(tmp_path, db):
    """The first records show no numeric date; the order is decided from the numbered records."""
    head = [(f"2020-01-{day % 28 + 1:02d}", 2020) for day in range(LEADING_RECORDS + 5)]
    path = write_acled(tmp_path / "a.csv", rows(*head, ("05/09/2020", 2020), ("25/03/2020", 2020)))
    summary = ingest([path], db)
    assert (summary.inserted, summary.rejected) == (len(head) + 2, 0)
    assert dates_of(db)[-2:] == ["2020-09-05", "2020-03-25"]
    mixed = write_acled(tmp_path / "b.csv", rows(*head, ("25/03/2020", 2020), ("03/25/2020", 2020)))
    with pytest.raises(UserError, match=rf"row {len(head) + 1} \(25/03/2020\).*row {len(head) + 2} "):
        ingest([mixed], db)


def test_reader_rejected_records_do_not_shift_the_rows_named(tmp_path, db):
    path = write_acled(tmp_path / "a.csv", rows(("25/03/2020", 2020), ("05/09/2020", 2020),
                                                 ("03/25/2020", 2020)))
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "a,b,c", *lines[1:]]) + "\n")
    with pytest.raises(UserError, match=r"row 2 \(25/03/2020\).*row 4 \(03/25/2020\)"):
        ingest([path], db)


# The command line.

def test_cli_states_the_order_with_a_flag(sahelsim, tmp_path, db):
    path = write_acled(tmp_path / "a.csv", rows(("05/09/2020", 2020)))
    result = sahelsim("ingest", path, "--db", db, "--monthfirst", "--json")
    assert result.code == 0, result.stderr
    assert dates_of(db) == ["2020-05-09"]
    result = sahelsim("ingest", path, "--db", tmp_path / "other.duckdb", "--dayfirst", "--json")
    assert result.code == 0, result.stderr
    assert dates_of(tmp_path / "other.duckdb") == ["2020-09-05"]


@pytest.mark.parametrize("flags, words", [([], ["--dayfirst", "--monthfirst", "row 1"]),
                                          (["--dayfirst", "--monthfirst"], ["--dayfirst"])])
def test_cli_refusals_are_one_line_and_exit_2(sahelsim, tmp_path, db, flags, words):
    path = write_acled(tmp_path / "a.csv", rows(("05/09/2020", 2020)))
    result = sahelsim("ingest", path, "--db", db, *flags)
    assert result.code == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(word in result.stderr for word in words), result.stderr
