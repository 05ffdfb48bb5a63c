"""The working-day calendar against the published holiday notices. No database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gonghui.core.workdays import (
    ARRANGEMENTS,
    WorkCalendar,
    add_working_days,
    is_working_day,
    known_years,
    working_days_between,
)

D = date.fromisoformat
DAY = timedelta(days=1)


def test_known_years_are_the_loaded_notices() -> None:
    # Add the next year's notice each November; this test makes it a deliberate change.
    assert known_years() == frozenset({2024, 2025, 2026})


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2025 国庆节、中秋节: 10-01..10-08 off; Sunday 09-28 and Saturday 10-11 worked.
        ("2025-09-27", False),  # Saturday
        ("2025-09-28", True),  # Sunday, 调休上班
        ("2025-09-30", True),
        ("2025-10-01", False),
        ("2025-10-06", False),  # 中秋 itself, inside the merged break
        ("2025-10-08", False),  # Wednesday, last day off
        ("2025-10-09", True),
        ("2025-10-11", True),  # Saturday, 调休上班
        ("2025-10-12", False),  # Sunday
        # 2025 春节: 01-28 (除夕) .. 02-04 off; Sunday 01-26 and Saturday 02-08 worked.
        ("2025-01-26", True),
        ("2025-01-27", True),
        ("2025-01-28", False),  # 除夕 is a holiday from 2025
        ("2025-02-04", False),
        ("2025-02-05", True),
        ("2025-02-08", True),
        ("2025-02-09", False),
        # 2026 春节: 02-15 .. 02-23 off (9 days); Saturdays 02-14 and 02-28 worked.
        ("2026-02-13", True),
        ("2026-02-14", True),
        ("2026-02-15", False),
        ("2026-02-20", False),  # Friday inside the break
        ("2026-02-23", False),  # Monday, 正月初七
        ("2026-02-24", True),
        ("2026-02-28", True),
        ("2026-03-01", False),
        # 2026 中秋节 09-25..09-27 and 国庆节 10-01..10-07; Sunday 09-20 and Saturday 10-10 worked.
        ("2026-09-20", True),
        ("2026-09-25", False),  # Friday, 中秋
        ("2026-09-28", True),
        ("2026-10-01", False),
        ("2026-10-07", False),
        ("2026-10-08", True),
        ("2026-10-10", True),
        ("2026-10-11", False),
        # 2026 元旦: 01-01..01-03 off, Sunday 01-04 worked.
        ("2026-01-02", False),
        ("2026-01-04", True),
        # 2024: 除夕 02-09 stayed a working day; Sunday 02-18 worked.
        ("2024-02-09", True),
        ("2024-02-18", True),
        ("2024-05-11", True),
        # Outside the known years: plain Monday–Friday, even on the real holidays.
        ("2027-10-01", True),  # Friday
        ("2027-10-02", False),
        ("2023-10-02", True),  # Monday
        ("2023-10-07", False),  # Saturday (a 2023 make-up day, not loaded)
    ],
)
def test_is_working_day(day: str, working: bool) -> None:
    assert is_working_day(D(day)) is working


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        ("2025-09-30", 1, "2025-10-09"),  # the whole break is skipped
        ("2025-09-30", 3, "2025-10-11"),  # 10-09, 10-10, then the make-up Saturday
        ("2025-09-30", 4, "2025-10-13"),
        ("2025-09-26", 1, "2025-09-28"),  # Friday → the make-up Sunday
        ("2025-10-03", 5, "2025-10-14"),  # filed during the holiday
        ("2025-01-24", 1, "2025-01-26"),
        ("2025-01-27", 1, "2025-02-05"),
        ("2025-01-27", 4, "2025-02-08"),
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"),
        ("2026-02-23", 5, "2026-02-28"),  # 公示 5 working days ending on the make-up Saturday
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),
        ("2026-09-18", 1, "2026-09-20"),
        ("2026-09-24", 1, "2026-09-28"),  # over 中秋 Friday and the weekend
        ("2025-12-31", 1, "2026-01-04"),  # across the year: 元旦 break then make-up Sunday
        ("2027-09-30", 1, "2027-10-01"),  # fallback year
        ("2027-10-01", 1, "2027-10-04"),
        ("2026-12-31", 1, "2027-01-01"),  # 2027 not loaded yet: 元旦 counts as a working day
    ],
)
def test_add_working_days(start: str, n: int, due: str) -> None:
    assert add_working_days(D(start), n) == D(due)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        ("2025-10-09", "2025-10-09"),  # a working day: due the same day
        ("2025-09-28", "2025-09-28"),  # a make-up Sunday is a working day
        ("2025-10-01", "2025-10-09"),  # a holiday: the next working day
        ("2025-10-12", "2025-10-13"),  # a Sunday
        ("2027-10-02", "2027-10-04"),  # fallback Saturday
    ],
)
def test_add_zero_working_days(start: str, due: str) -> None:
    assert add_working_days(D(start), 0) == D(due)


def test_add_working_days_rejects_negative_and_non_int() -> None:
    with pytest.raises(ValueError, match="不能为负数"):
        add_working_days(D("2025-01-01"), -1)
    with pytest.raises(TypeError):
        add_working_days(D("2025-01-01"), True)
    with pytest.raises(TypeError):
        add_working_days(D("2025-01-01"), 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        ("2025-09-26", "2025-10-12", 6),  # 09-28, 09-29, 09-30, 10-09, 10-10, 10-11
        ("2025-10-12", "2025-09-26", -6),
        ("2025-01-27", "2025-02-09", 4),  # 02-05 .. 02-08
        ("2026-02-13", "2026-03-01", 6),  # 02-14, 02-24 .. 02-28
        ("2026-09-18", "2026-10-11", 11),
        ("2025-10-09", "2025-10-09", 0),
        ("2025-10-08", "2025-10-09", 1),  # start not counted, end counted
        ("2027-01-01", "2027-01-31", 20),  # fallback: Mon–Fri only
    ],
)
def test_working_days_between(start: str, end: str, count: int) -> None:
    assert working_days_between(D(start), D(end)) == count


def _weekdays_in_year(year: int) -> int:
    day, count = date(year, 1, 1), 0
    while day.year == year:
        count += day.weekday() < 5
        day += DAY
    return count


# 全体公民放假的节日: 11 days until 2024, 13 from 2025 (放假办法 revised November 2024).
@pytest.mark.parametrize(("year", "statutory_days"), [(2024, 11), (2025, 13), (2026, 13)])
def test_each_year_loses_exactly_its_statutory_holidays(year: int, statutory_days: int) -> None:
    """调休 only moves days: weekdays off minus make-up days must equal the statutory days."""
    worked = working_days_between(date(year - 1, 12, 31), date(year, 12, 31))
    assert worked == _weekdays_in_year(year) - statutory_days


def test_every_make_up_day_is_a_weekend_inside_its_year() -> None:
    for year, festivals in ARRANGEMENTS.items():
        for festival in festivals:
            assert festival.first_day_off.year == festival.last_day_off.year == year
            for day in festival.make_up_days:
                assert day.weekday() >= 5 and day.year == year, (festival.name, day)


@pytest.mark.parametrize(
    ("days_off", "make_up", "message"),
    [
        ({D("2025-10-01"): "国庆节"}, {D("2025-10-01"): "国庆节"}, "既是放假日又是调休上班日"),
        ({}, {D("2025-10-09"): "国庆节"}, "不是周末"),
    ],
)
def test_calendar_rejects_inconsistent_data(
    days_off: dict[date, str], make_up: dict[date, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar(days_off=days_off, make_up_days=make_up, years=frozenset({2025}))


def test_custom_calendar_from_arrangements() -> None:
    from gonghui.core.workdays import Festival

    calendar = WorkCalendar.from_arrangements(
        {2030: (Festival("厂庆", D("2030-03-04"), D("2030-03-05"), (D("2030-03-09"),)),)}
    )
    assert calendar.years == frozenset({2030})
    assert calendar.add_working_days(D("2030-03-01"), 1) == D("2030-03-06")
    assert calendar.working_days_between(D("2030-03-01"), D("2030-03-10")) == 4  # 6, 7, 8, 9
    with pytest.raises(ValueError, match="晚于结束日"):
        WorkCalendar.from_arrangements({2030: (Festival("x", D("2030-03-05"), D("2030-03-04")),)})


# --- properties over the known years and their neighbours ----------------------------------

days = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))


@given(start=days, n=st.integers(min_value=1, max_value=400))
def test_round_trip_add_then_count(start: date, n: int) -> None:
    due = add_working_days(start, n)
    assert is_working_day(due)
    assert working_days_between(start, due) == n
    # and it is the first such day: one day earlier is still short
    assert working_days_between(start, due - DAY) == n - 1


@given(start=days, end=days)
def test_round_trip_count_then_add(start: date, end: date) -> None:
    n = working_days_between(start, end)
    if end > start and is_working_day(end):
        assert add_working_days(start, n) == end
    assert working_days_between(end, start) == -n


@given(start=days)
def test_zero_is_today_or_the_next_working_day(start: date) -> None:
    due = add_working_days(start, 0)
    assert due == (start if is_working_day(start) else add_working_days(start, 1))


@given(a=days, b=days, c=days)
def test_counts_add_up(a: date, b: date, c: date) -> None:
    assert working_days_between(a, b) + working_days_between(b, c) == working_days_between(a, c)


@given(start=days, length=st.integers(min_value=0, max_value=60))
def test_count_matches_day_by_day(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    brute = sum(is_working_day(start + timedelta(days=i)) for i in range(1, length + 1))
    assert working_days_between(start, end) == brute
