"""The Chinese working-day calendar (工作日): deadlines such as 受理 within N working days,
a clinic answer in 3 working days, 公示 for 5 working days, payouts in 2–5 working days.

A day is a working day if it is a 调休 make-up working day (a Saturday or Sunday the State
Council moved work to), or if it is Monday–Friday and not inside a 法定节假日 break. Years
whose arrangement is not in `ARRANGEMENTS` fall back to plain Monday–Friday.

Counting rule (as in 期间计算: the day the period starts is not counted):
- `add_working_days(start, n)` with n ≥ 1 is the n-th working day *after* `start`, whatever
  kind of day `start` is; n = 0 is `start` itself if it is a working day, otherwise the next
  working day ("due the same working day").
- `working_days_between(start, end)` counts the working days after `start` up to and
  including `end`; it is negative (the same count, negated) when `end` is before `start`.
So `working_days_between(start, add_working_days(start, n)) == n` for every n ≥ 1.

Pure Python, no database: pages, services and batch jobs get the same dates.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from types import MappingProxyType

ONE_DAY = timedelta(days=1)
SATURDAY = 5


@dataclass(frozen=True, slots=True)
class Festival:
    """One holiday break of a notice: the days off (inclusive range, weekends included as
    published) and the weekend days worked to make up for it (调休上班)."""

    name: str
    first_day_off: date
    last_day_off: date
    make_up_days: tuple[date, ...] = ()

    def days_off(self) -> Iterable[date]:
        day = self.first_day_off
        while day <= self.last_day_off:
            yield day
            day += ONE_DAY


def _festival(name: str, first: str, last: str, *make_up: str) -> Festival:
    return Festival(
        name, date.fromisoformat(first), date.fromisoformat(last), tuple(map(date.fromisoformat, make_up))
    )


# The State Council's yearly notice (国务院办公厅关于 YYYY 年部分节假日安排的通知), copied from
# the published text. A new notice comes out each year in late October / November: add the
# next year here then, or its dates silently fall back to Monday–Friday (a test lists the
# known years so the addition is a deliberate change). Regional extra holidays (e.g. in
# autonomous regions) are not included.
ARRANGEMENTS: Mapping[int, tuple[Festival, ...]] = {
    # 国办发明电〔2023〕7号, 2023-10-25. 除夕 2月9日 was a working day (leave encouraged).
    2024: (
        _festival("元旦", "2024-01-01", "2024-01-01"),
        _festival("春节", "2024-02-10", "2024-02-17", "2024-02-04", "2024-02-18"),
        _festival("清明节", "2024-04-04", "2024-04-06", "2024-04-07"),
        _festival("劳动节", "2024-05-01", "2024-05-05", "2024-04-28", "2024-05-11"),
        _festival("端午节", "2024-06-08", "2024-06-10"),
        _festival("中秋节", "2024-09-15", "2024-09-17", "2024-09-14"),
        _festival("国庆节", "2024-10-01", "2024-10-07", "2024-09-29", "2024-10-12"),
    ),
    # 国办发明电〔2024〕12号, 2024-11-12: the first year under the revised 放假办法
    # (春节 and 劳动节 one day longer; 春节 starts on 除夕).
    2025: (
        _festival("元旦", "2025-01-01", "2025-01-01"),
        _festival("春节", "2025-01-28", "2025-02-04", "2025-01-26", "2025-02-08"),
        _festival("清明节", "2025-04-04", "2025-04-06"),
        _festival("劳动节", "2025-05-01", "2025-05-05", "2025-04-27"),
        _festival("端午节", "2025-05-31", "2025-06-02"),
        _festival("国庆节、中秋节", "2025-10-01", "2025-10-08", "2025-09-28", "2025-10-11"),
    ),
    # 国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04.
    2026: (
        _festival("元旦", "2026-01-01", "2026-01-03", "2026-01-04"),
        _festival("春节", "2026-02-15", "2026-02-23", "2026-02-14", "2026-02-28"),
        _festival("清明节", "2026-04-04", "2026-04-06"),
        _festival("劳动节", "2026-05-01", "2026-05-05", "2026-05-09"),
        _festival("端午节", "2026-06-19", "2026-06-21"),
        _festival("中秋节", "2026-09-25", "2026-09-27"),
        _festival("国庆节", "2026-10-01", "2026-10-07", "2026-09-20", "2026-10-10"),
    ),
}


def _is_weekend(day: date) -> bool:
    return day.weekday() >= SATURDAY


def _weekdays_through(day: date) -> int:
    """Mondays–Fridays from 0001-01-01 (a Monday) up to and including `day`."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


@dataclass(frozen=True, eq=False)
class WorkCalendar:
    """Monday–Friday corrected by holiday notices: weekdays off (`days_off`, by festival
    name) and weekend days worked (`make_up_days`)."""

    days_off: Mapping[date, str]
    make_up_days: Mapping[date, str]
    years: frozenset[int]
    # Sorted exceptions and the running total of their corrections to the weekday count.
    _exceptions: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _corrections: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "days_off", MappingProxyType(dict(self.days_off)))
        object.__setattr__(self, "make_up_days", MappingProxyType(dict(self.make_up_days)))
        clash = sorted(set(self.days_off) & set(self.make_up_days))
        if clash:
            raise ValueError(f"{clash[0].isoformat()} 既是放假日又是调休上班日")
        weekday_make_up = sorted(d for d in self.make_up_days if not _is_weekend(d))
        if weekday_make_up:
            raise ValueError(f"调休上班日 {weekday_make_up[0].isoformat()} 不是周末")
        # A day off on a weekend changes nothing; only weekdays off and weekend make-ups count.
        deltas = {d: -1 for d in self.days_off if not _is_weekend(d)} | dict.fromkeys(self.make_up_days, 1)
        exceptions = tuple(sorted(deltas))
        object.__setattr__(self, "_exceptions", exceptions)
        object.__setattr__(self, "_corrections", tuple(accumulate(deltas[d] for d in exceptions)))

    @classmethod
    def from_arrangements(cls, arrangements: Mapping[int, Iterable[Festival]]) -> WorkCalendar:
        days_off: dict[date, str] = {}
        make_up: dict[date, str] = {}
        for festivals in arrangements.values():
            for festival in festivals:
                if festival.first_day_off > festival.last_day_off:
                    raise ValueError(f"{festival.name}：放假起始日晚于结束日")
                for day in festival.days_off():
                    days_off[day] = festival.name
                for day in festival.make_up_days:
                    make_up[day] = festival.name
        return cls(days_off=days_off, make_up_days=make_up, years=frozenset(arrangements))

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_days:
            return True
        return not _is_weekend(day) and day not in self.days_off

    def _working_days_through(self, day: date) -> int:
        """Working days from 0001-01-01 up to and including `day` (only differences matter)."""
        index = bisect_right(self._exceptions, day)
        correction = self._corrections[index - 1] if index else 0
        return _weekdays_through(day) + correction

    def working_days_between(self, start: date, end: date) -> int:
        return self._working_days_through(end) - self._working_days_through(start)

    def add_working_days(self, start: date, n: int) -> date:
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError("工作日天数必须是整数")
        if n < 0:
            raise ValueError(f"工作日天数不能为负数：{n}")
        day = start
        if n == 0:
            while not self.is_working_day(day):
                day += ONE_DAY
            return day
        remaining = n
        while remaining:
            day += ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day


CHINA = WorkCalendar.from_arrangements(ARRANGEMENTS)


def is_working_day(d: date) -> bool:
    """True on Monday–Friday outside 法定节假日 breaks, and on 调休 make-up weekend days."""
    return CHINA.is_working_day(d)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (n ≥ 1); for n = 0, `start` if it is a working day,
    else the next working day. `start` itself is never counted."""
    return CHINA.add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`; negative if `end` < `start`."""
    return CHINA.working_days_between(start, end)


def known_years() -> frozenset[int]:
    """Years with a holiday notice loaded; other years count Monday–Friday only."""
    return CHINA.years
