"""The provisional calendar: the statutory holidays of a year whose State Council notice is not entered.

《全国年节及纪念日放假办法》 as amended in 2024 (in force from 2025): 元旦 1 day (1 Jan), 春节 4 days
(除夕 to the third day of the first lunar month), 清明节 1 day (the Qingming solar term), 劳动节 2 days
(1-2 May), 端午节 1 day (5th of the 5th lunar month), 中秋节 1 day (15th of the 8th lunar month), 国庆节
3 days (1-3 Oct). Its article 6: a holiday falling on a Saturday or Sunday is made up on a working day
(补假); here, the first weekday after it that is not already a holiday, and likewise for a holiday that
falls on another (中秋 on 国庆). Make-up working days (调休) exist only in a notice, so a provisional year
has none: its weekends stay weekends. Lunar dates and the solar term come from tyme4py.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from functools import lru_cache

# The amended rules apply from this year; earlier years without a notice keep plain weekdays.
LAW_SINCE = 2025
MAKE_UP_SUFFIX = "（补假）"
# tyme4py fills its lunar tables on first use without a lock; the calendar is shared by threads.
_lunar_lock = threading.Lock()


def _solar(day) -> date:
    return date(day.get_year(), day.get_month(), day.get_day())


@lru_cache(maxsize=256)
def statutory_holidays(year: int) -> dict[date, str]:
    """Date → holiday name for `year`, including the days made up for holidays on a weekend (补假).

    The result is shared (cached): callers must not change it.
    """
    if year < LAW_SINCE:
        return {}
    from tyme4py.lunar import LunarDay
    from tyme4py.solar import SolarTerm

    with _lunar_lock:
        new_year = _solar(LunarDay.from_ymd(year, 1, 1).get_solar_day())
        qingming = _solar(SolarTerm.from_name(year, "清明").get_julian_day().get_solar_day())
        dragon_boat = _solar(LunarDay.from_ymd(year, 5, 5).get_solar_day())
        mid_autumn = _solar(LunarDay.from_ymd(year, 8, 15).get_solar_day())
    statutory = [
        (date(year, 1, 1), "元旦"),
        *((new_year + timedelta(days=offset), "春节") for offset in range(-1, 3)),  # 除夕 is the day before 正月初一
        (qingming, "清明节"),
        (date(year, 5, 1), "劳动节"), (date(year, 5, 2), "劳动节"),
        (dragon_boat, "端午节"),
        (mid_autumn, "中秋节"),
        *((date(year, 10, day), "国庆节") for day in (1, 2, 3)),
    ]
    days: dict[date, str] = {}
    owed: list[tuple[date, str]] = []  # (the day lost, its holiday) in date order
    for day, name in sorted(statutory):
        if day in days:
            owed.append((day, name))
            days[day] = f"{days[day]}、{name}"
        else:
            days[day] = name
            if day.weekday() >= 5:
                owed.append((day, name))
    for lost, name in owed:
        substitute = lost + timedelta(days=1)
        while substitute.weekday() >= 5 or substitute in days:
            substitute += timedelta(days=1)
        days[substitute] = name + MAKE_UP_SUFFIX
    return dict(sorted(days.items()))
