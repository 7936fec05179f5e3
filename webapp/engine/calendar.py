"""SLA calendars: turn a time standard into a due time, counting wall-clock or working time.

Under working hours a time standard's parts count as an SOP table means them:

* days (``D``) are working days and a week (``W``) is 5 of them: the due time is the same
  clock time that many working days after counting starts, weekends, public holidays and cuti
  bersama skipped (``P1D`` armed Friday 10:00 is due Monday 10:00). Where that clock time is
  not working time on the due day (its break, or after a shorter day's closing), the due time is
  the end of that day's working time before it;
* hours, minutes and seconds are working time, counted after the days (``P1DT2H``);
* months and years have no working meaning: they count 30 and 365 calendar days from the
  start, before the working parts, and a due time on a day off moves to the next working moment.

Counting starts at the next working moment: a step armed in the evening, at the weekend or in
the midday break counts from when the office next opens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from .durations import Duration

Week = dict[int, list[tuple[time, time]]]

# Perpres 21/2023: five days from 07:30, 37.5 hours a week, Friday's longer midday break.
DEFAULT_WEEK: Week = {
    **{d: [(time(7, 30), time(12)), (time(13), time(16))] for d in range(4)},
    4: [(time(7, 30), time(11, 30)), (time(13), time(16, 30))],
}
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_LIMIT = timedelta(days=3 * 366)  # give up when no working time exists for this long
MODES = ("working-hours", "calendar")
WORKING_DAYS_PER_WEEK = 5  # a week of a time standard (P1W) is five working days


def _parts(duration: Duration) -> tuple[int, int, timedelta]:
    """Split a standard into calendar days, working days and working time, refusing negatives."""
    if any(getattr(duration, f.name) < 0 for f in fields(duration)):
        raise ValueError(f"duration must not be negative, got {duration}")
    calendar_days = 365 * duration.years + 30 * duration.months
    working_days = WORKING_DAYS_PER_WEEK * duration.weeks + duration.days
    rest = timedelta(hours=duration.hours, minutes=duration.minutes, seconds=duration.seconds)
    return calendar_days, working_days, rest


class SlaCalendar(Protocol):
    """Adds time standards to instants and measures spans, in some notion of time.

    A ``Duration`` is a time standard as written (its days known apart from its hours); a
    ``timedelta`` is a plain length of counted time.
    """

    def add(self, start: datetime, duration: Duration | timedelta) -> datetime:
        """Return the due time (UTC): ``start`` plus ``duration`` of counted time."""
        ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return the counted time between two instants (zero if ``end <= start``)."""
        ...

    def length(self, duration: Duration) -> timedelta:
        """Return the counted time a standard stands for, to compare with ``elapsed``."""
        ...

    def words_id(self, duration: Duration) -> str:
        """Say a standard in Indonesian as this calendar counts it ('3 hari kerja')."""
        ...


def _utc(moment: datetime) -> datetime:
    """Return an aware datetime in UTC, refusing naive ones."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime {moment.isoformat()} has no timezone")
    return moment.astimezone(UTC)


def _check_duration(duration: timedelta) -> None:
    """Refuse negative durations."""
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")


class WallClockCalendar:
    """Plain arithmetic: every second counts (``calendar`` mode)."""

    def add(self, start: datetime, duration: Duration | timedelta) -> datetime:
        """Return ``start + duration`` in UTC (a day is 24 hours, a week 7 days)."""
        if isinstance(duration, Duration):
            _parts(duration)  # refuses negative components
            duration = duration.to_timedelta()
        _check_duration(duration)
        return _utc(start) + duration

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return ``end - start``, or zero if negative."""
        return max(_utc(end) - _utc(start), timedelta(0))

    def length(self, duration: Duration) -> timedelta:
        """Return the standard's wall-clock length."""
        return duration.to_timedelta()

    def words_id(self, duration: Duration) -> str:
        """Say the standard in plain days ('3 hari')."""
        return duration.words_id()


def _check_week(week: Mapping[int, Iterable[tuple[time, time]]]) -> Week:
    """Validate a week mapping and return it with each day's intervals sorted."""
    checked: Week = {}
    for day, intervals in week.items():
        if day not in range(7):
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {day!r}")
        ordered = sorted(intervals)
        name = DAY_NAMES[day]
        for begin, end in ordered:
            if end <= begin:
                raise ValueError(
                    f"{name}: interval end {end:%H:%M} is not after start {begin:%H:%M}"
                )
        for (_, end), (begin, _) in zip(ordered, ordered[1:], strict=False):
            if begin < end:
                raise ValueError(f"{name}: overlapping intervals at {begin:%H:%M}")
        if ordered:
            checked[day] = ordered
    return checked


class WorkingHoursCalendar:
    """Counts only office hours, skipping weekends, public holidays and cuti bersama."""

    def __init__(
        self,
        timezone: str = "Asia/Jakarta",
        week: dict[int, list[tuple[time, time]]] | None = None,
        holidays: Iterable[date] = (),
        country: str | None = "ID",
    ) -> None:
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {timezone!r}") from exc
        if country and country not in holidays_lib.list_supported_countries():
            raise ValueError(f"holidays package has no country {country!r}")
        self.week = _check_week(DEFAULT_WEEK if week is None else week)
        self.extra_holidays = frozenset(holidays)
        self.country = country or None
        self._country_years: dict[int, frozenset[date]] = {}

    def is_holiday(self, day: date) -> bool:
        """Return whether ``day`` is a public holiday or a configured day off."""
        if day in self.extra_holidays:
            return True
        if self.country is None:
            return False
        if day.year not in self._country_years:
            found = holidays_lib.country_holidays(self.country, years=day.year)
            self._country_years[day.year] = frozenset(found)
        return day in self._country_years[day.year]

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """Return the working intervals of a local ``day`` as UTC instants."""
        if self.is_holiday(day):
            return []
        return [
            (
                datetime.combine(day, begin, self.tz).astimezone(UTC),
                datetime.combine(day, end, self.tz).astimezone(UTC),
            )
            for begin, end in self.week.get(day.weekday(), [])
        ]

    def add(self, start: datetime, duration: Duration | timedelta) -> datetime:
        """Return the due time (UTC): a standard by the module's rule, a timedelta as work time."""
        if isinstance(duration, timedelta):
            return self._add_time(start, duration)
        calendar_days, working_days, rest = _parts(duration)
        current = _utc(start)
        if calendar_days:  # same local clock time that many calendar days later
            moved = current.astimezone(self.tz) + timedelta(days=calendar_days)
            current = moved.astimezone(UTC)
            if not working_days and not rest:
                return self.next_working_moment(current)
        if working_days:
            current = self._add_days(current, working_days)
        return self._add_time(current, rest)

    def next_working_moment(self, moment: datetime) -> datetime:
        """Return ``moment`` if it is working time, else when working time next begins."""
        current = _utc(moment)
        day = current.astimezone(self.tz).date()
        for _ in range(SEARCH_LIMIT.days + 1):
            for begin, end in self.intervals(day):
                if end > current:
                    return max(begin, current)
            day += timedelta(days=1)
        raise ValueError(f"no working time within {SEARCH_LIMIT.days} days after {day}")

    def _next_working_day(self, day: date) -> date:
        """Return the first day after ``day`` that has working time."""
        for offset in range(1, SEARCH_LIMIT.days + 2):
            if self.intervals(day + timedelta(days=offset)):
                return day + timedelta(days=offset)
        raise ValueError(f"no working time within {SEARCH_LIMIT.days} days after {day}")

    def _add_days(self, start: datetime, count: int) -> datetime:
        """Return the same clock time ``count`` working days after counting starts."""
        begin = self.next_working_moment(start).astimezone(self.tz)
        day = begin.date()
        for _ in range(count):
            day = self._next_working_day(day)
        target = datetime.combine(day, begin.time(), self.tz).astimezone(UTC)
        spans = self.intervals(day)
        if any(b <= target <= e for b, e in spans):
            return target
        # Outside that day's hours: the end of its working time before the clock time, so no
        # working time of the due day is given beyond what the start day's clock time implies.
        earlier = [e for _, e in spans if e <= target]
        return max(earlier) if earlier else spans[0][0]

    def _add_time(self, start: datetime, duration: timedelta) -> datetime:
        """Return the due time (UTC) after ``duration`` of working time from ``start``."""
        _check_duration(duration)
        current = _utc(start)
        if not duration:
            return current
        remaining = duration
        day = current.astimezone(self.tz).date()
        last_working = day
        while day - last_working <= SEARCH_LIMIT:
            spans = [(max(b, current), e) for b, e in self.intervals(day) if e > current]
            if spans:
                last_working = day
            total = sum((e - b for b, e in spans), timedelta(0))
            if total < remaining:  # the whole rest of the day is used up: skip it at once
                remaining -= total
            else:
                for begin, end in spans:
                    if remaining <= end - begin:
                        return begin + remaining
                    remaining -= end - begin
            day += timedelta(days=1)
        raise ValueError(f"no working time within {SEARCH_LIMIT.days} days after {last_working}")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return the working time between ``start`` and ``end``."""
        lo, hi = _utc(start), _utc(end)
        total = timedelta(0)
        day, last = lo.astimezone(self.tz).date(), hi.astimezone(self.tz).date()
        while day <= last:
            for begin, finish in self.intervals(day):
                overlap = min(finish, hi) - max(begin, lo)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def length(self, duration: Duration) -> timedelta:
        """Return the working time a standard stands for: a day is the week's average day."""
        calendar_days, working_days, rest = _parts(duration)
        week = sum(
            (
                datetime.combine(date.min, e) - datetime.combine(date.min, b)
                for spans in self.week.values()
                for b, e in spans
            ),
            timedelta(0),
        )
        working_day = week / len(self.week) if self.week else timedelta(0)
        return calendar_days * week / 7 + working_days * working_day + rest

    def words_id(self, duration: Duration) -> str:
        """Say the standard with its days as working days ('3 hari kerja')."""
        return duration.words_id(working=True)


_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def _parse_time(text: str) -> time:
    """Parse ``HH:MM`` (24-hour clock)."""
    match = _TIME.match(text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"malformed time {text.strip()!r}: expected HH:MM")
    return time(int(match[1]), int(match[2]))


def _parse_days(text: str) -> list[int]:
    """Parse ``mon-thu`` or ``mon,wed`` into weekday numbers."""
    days: list[int] = []
    for part in text.lower().split(","):
        names = part.strip().split("-")
        for name in names:
            if name not in DAY_NAMES:
                raise ValueError(f"unknown day {name!r}: use {', '.join(DAY_NAMES)}")
        if len(names) > 2:
            raise ValueError(f"malformed day range {part.strip()!r}")
        first, last = DAY_NAMES.index(names[0]), DAY_NAMES.index(names[-1])
        if last < first:
            raise ValueError(f"day range {part.strip()!r} runs backwards")
        days.extend(range(first, last + 1))
    return days


def parse_week(spec: str) -> dict[int, list[tuple[time, time]]]:
    """Parse ``"mon-thu 07:30-12:00,13:00-16:00; fri 07:30-11:30,13:00-16:30"``."""
    week: dict[int, list[tuple[time, time]]] = {}
    groups = [g.strip() for g in spec.split(";") if g.strip()]
    if not groups:
        raise ValueError("empty working-week spec")
    for group in groups:
        parts = group.split(None, 1)
        if len(parts) != 2:
            raise ValueError(f"group {group!r} needs days then time ranges, e.g. 'mon 08:00-16:00'")
        intervals = []
        for text in parts[1].split(","):
            bounds = text.split("-")
            if len(bounds) != 2:
                raise ValueError(f"malformed time range {text.strip()!r}: expected HH:MM-HH:MM")
            intervals.append((_parse_time(bounds[0]), _parse_time(bounds[1])))
        for day in _parse_days(parts[0]):
            week.setdefault(day, []).extend(intervals)
    return _check_week(week)


def parse_dates(spec: str) -> list[date]:
    """Parse ``"2026-12-24, 2026-12-26"`` into dates (commas or whitespace separate)."""
    dates = []
    for token in re.split(r"[,\s]+", spec.strip()):
        if not token:
            continue
        try:
            dates.append(date.fromisoformat(token))
        except ValueError as exc:
            raise ValueError(f"invalid date {token!r}: expected YYYY-MM-DD") from exc
    return dates


def make_calendar(
    mode: str, timezone: str, week_spec: str | None, cuti_bersama: str, country: str | None
) -> SlaCalendar:
    """Build the calendar for a mode (``working-hours`` or ``calendar``) from settings."""
    if mode == "calendar":
        return WallClockCalendar()
    if mode == "working-hours":
        week = parse_week(week_spec) if week_spec and week_spec.strip() else None
        return WorkingHoursCalendar(timezone, week, parse_dates(cuti_bersama), country)
    raise ValueError(f"unknown SLA calendar mode {mode!r}: expected one of {', '.join(MODES)}")
