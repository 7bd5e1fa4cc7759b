"""Working time, deadlines and lights: pure functions over a `WorkCalendar`.

Every limit is converted to working seconds: "4h" is 4 office hours, "3d" is three full office
days. A deadline is the moment that many working seconds after the start; elapsed working time
between two moments counts only office hours on working days, in the calendar's time zone.
Nothing here reads the database (see `worktime.calendar` for the loaded calendar).
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

LIMIT_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hd])\s*$")
WARN_FRACTION = 0.8
# About two years of office time: anything longer is a typing error, not a deadline.
MAX_LIMIT = {"h": 4000, "d": 500}


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class Limit:
    """A step's time limit: an amount of office hours ("h") or office days ("d")."""

    amount: float
    unit: str

    @classmethod
    def parse(cls, text: str) -> Limit:
        match = LIMIT_PATTERN.match(text or "")
        if not match or float(match.group(1)) <= 0:
            raise ValueError(f"time limit {text!r}: write a positive number followed by h (working hours) or d (working days), e.g. 4h or 3d")
        amount, unit = float(match.group(1)), match.group(2)
        if amount > MAX_LIMIT[unit]:
            raise ValueError(f"time limit {text!r}: at most {MAX_LIMIT[unit]}{unit}")
        return cls(amount, unit)

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit}"


def parse_office_hours(text: str) -> tuple[tuple[int, int], ...]:
    """"09:00-12:00,14:00-18:00" → ((32400, 43200), (50400, 64800)), seconds after midnight."""
    segments = []
    for part in text.split(","):
        start, _, end = part.strip().partition("-")
        a, b = (_seconds_of(t) for t in (start, end))
        if b <= a or (segments and a < segments[-1][1]):
            raise ValueError(f"office hours {text!r}: segments must be increasing and not overlap")
        segments.append((a, b))
    if not segments:
        raise ValueError("office hours: at least one segment is needed")
    return tuple(segments)


def _seconds_of(hhmm: str) -> int:
    hours, _, minutes = hhmm.strip().partition(":")
    value = int(hours) * 3600 + int(minutes or 0) * 60
    if not 0 <= value <= 86400:
        raise ValueError(f"time {hhmm!r} is not within a day")
    return value


@dataclass
class WorkCalendar:
    """Which days are working days, and the office hours within each.

    `special` maps a date to True (make-up working day) or False (holiday); `known_years` are the
    years whose schedule is entered. Any other year is provisional: Monday-Friday less the holidays
    `provisional(year)` gives (`worktime.holidays.statutory_holidays`), or Monday-Friday alone
    without it. A day in `special` wins over a provisional one.
    """

    special: dict[date, bool]
    known_years: frozenset[int]
    office_hours: tuple[tuple[int, int], ...]
    tz: tzinfo
    provisional: Callable[[int], Mapping[date, str]] | None = None
    _origin: date = field(default=date(2000, 1, 3), init=False)  # a Monday
    _cumulative: list[int] = field(default_factory=lambda: [0], init=False)
    # One process-wide calendar serves every thread (runserver, db_worker, tests): growing the
    # prefix sum is a read-then-append, so two threads growing it at once would shift every later day.
    _growing: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    @property
    def day_seconds(self) -> int:
        return sum(b - a for a, b in self.office_hours)

    def limit_seconds(self, limit: Limit | str) -> float:
        limit = Limit.parse(limit) if isinstance(limit, str) else limit
        return limit.amount * (3600 if limit.unit == "h" else self.day_seconds)

    def is_workday(self, day: date) -> bool:
        flag = self.special.get(day)
        if flag is not None:
            return flag
        return day.weekday() < 5 and day not in self.provisional_holidays(day.year)

    def provisional_holidays(self, year: int) -> Mapping[date, str]:
        """The holidays assumed for a year whose schedule is not entered (none for an entered year)."""
        if year in self.known_years or self.provisional is None:
            return {}
        return self.provisional(year)

    def is_fallback(self, day: date) -> bool:
        """Whether `day`'s year is provisional (its State Council notice not entered)."""
        return day.year not in self.known_years

    def fallback_years(self, start: datetime, end: datetime) -> list[int]:
        first, last = self._local(start).year, self._local(end).year
        return [y for y in range(first, last + 1) if y not in self.known_years]

    # Working-day counts as a prefix sum from a fixed origin, grown on demand, so that both
    # directions of the clock cost a bisect rather than a walk over days.
    def _index(self, day: date) -> int:
        i = (day - self._origin).days
        if i < 0:
            raise ValueError(f"{day} is before the calendar's origin {self._origin}")
        self._grow(i + 2)
        return i

    def _grow(self, length: int) -> None:
        cumulative = self._cumulative
        if len(cumulative) >= length:
            return
        with self._growing:
            while len(cumulative) < length:
                day = self._origin + timedelta(days=len(cumulative) - 1)
                cumulative.append(cumulative[-1] + self.is_workday(day))

    def workdays_between(self, first: date, last: date) -> int:
        """Working days d with first <= d < last."""
        if last <= first:
            return 0
        return self._cumulative_at(last) - self._cumulative_at(first)

    def _cumulative_at(self, day: date) -> int:
        return self._cumulative[self._index(day)]

    def nth_workday_after(self, day: date, n: int) -> date:
        """The n-th working day strictly after `day` (n >= 1)."""
        target = self._cumulative_at(day + timedelta(days=1)) + n
        step = max(64, n * 2)
        while self._cumulative[-1] < target:
            self._grow(len(self._cumulative) + step)
        position = bisect.bisect_left(self._cumulative, target)
        return self._origin + timedelta(days=position - 1)

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("naive datetime: working time needs an aware datetime")
        return moment.astimezone(self.tz)

    def _worked_before(self, local: datetime) -> int:
        """Office seconds of `local`'s day that are already past at `local` (0 on non-working days)."""
        if not self.is_workday(local.date()):
            return 0
        now = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        return sum(min(max(now - a, 0), b - a) for a, b in self.office_hours)

    def _moment(self, day: date, worked: float) -> datetime:
        """The moment on `day` when `worked` office seconds of it are past (0 < worked <= day)."""
        remaining = worked
        for a, b in self.office_hours:
            if remaining <= b - a:
                offset = a + remaining
                break
            remaining -= b - a
        else:
            offset = self.office_hours[-1][1]
        midnight = datetime.combine(day, time(0), tzinfo=self.tz)
        # Adding to an aware local midnight counts wall-clock time, which is what office hours are.
        return (midnight + timedelta(seconds=offset)).astimezone(self.tz)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Office seconds on working days from `start` to `end` (0 when end <= start)."""
        if end <= start:
            return 0.0
        a, b = self._local(start), self._local(end)
        if a.date() == b.date():
            return float(self._worked_before(b) - self._worked_before(a))
        first = (self.day_seconds if self.is_workday(a.date()) else 0) - self._worked_before(a)
        middle = self.workdays_between(a.date() + timedelta(days=1), b.date()) * self.day_seconds
        return float(first + middle + self._worked_before(b))

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` office seconds after `start`."""
        local = self._local(start)
        if seconds <= 0:
            return local
        day_seconds = self.day_seconds
        if self.is_workday(local.date()):
            done = self._worked_before(local)
            left_today = day_seconds - done
            if seconds <= left_today:
                return max(local, self._moment(local.date(), done + seconds))
            seconds -= left_today
        full_days = int(-(-seconds // day_seconds))  # ceil
        day = self.nth_workday_after(local.date(), full_days)
        return self._moment(day, seconds - (full_days - 1) * day_seconds)

    def due(self, start: datetime, limit: Limit | str) -> tuple[datetime, datetime]:
        """(warning time, due time) of a step that starts at `start` with `limit`."""
        total = self.limit_seconds(limit)
        return self.add_working_seconds(start, total * WARN_FRACTION), self.add_working_seconds(start, total)

    def light(self, *, start: datetime, limit: Limit | str, now: datetime, paused_seconds: float = 0.0) -> Light:
        """Green below 80% of the limit used, yellow from 80% to 100%, red past it."""
        used = (self.working_seconds_between(start, now) - paused_seconds) / self.limit_seconds(limit)
        return light_for_fraction(used)


def light_for_fraction(used: float) -> Light:
    if used > 1:
        return Light.RED
    if used >= WARN_FRACTION:
        return Light.YELLOW
    return Light.GREEN


def light_at(*, now: datetime, warn_at: datetime | None, due_at: datetime | None) -> Light | None:
    """The light from a step's stored warning and due times (None when the step has no clock)."""
    if due_at is None:
        return None
    if now > due_at:
        return Light.RED
    if warn_at is not None and now >= warn_at:
        return Light.YELLOW
    return Light.GREEN
