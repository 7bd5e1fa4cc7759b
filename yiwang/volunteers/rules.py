"""The written-down rules of this app, as pure functions (no database), so every figure can be
shown with how it was computed.

Points (积分): a completed service task earns POINTS_PER_HOUR points per recorded hour, rounded
half up to a whole point. A party member's points go to the points bank "party_member" (党员积分),
a volunteer's to "volunteer" (志愿服务积分).

Star rating (星级): from the points a person earned by service tasks in one calendar year:
  ★ 20, ★★ 60, ★★★ 100, ★★★★ 150, ★★★★★ 200 points (at least); below 20 no star.
At 10 points an hour, five stars mean 20 hours of service in the year.

Suggested grade (建议等次) of the yearly evaluation, which the community may overrule:
  优秀 at least 20 hours and 4 tasks; 合格 at least 8 hours or 2 tasks; 基本合格 at least one
  completed task; otherwise 不合格.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

POINTS_PER_HOUR = 10
# (stars, minimum points), highest first.
STAR_THRESHOLDS: tuple[tuple[int, int], ...] = ((5, 200), (4, 150), (3, 100), (2, 60), (1, 20))

EXCELLENT_HOURS, EXCELLENT_TASKS = Decimal(20), 4
COMPETENT_HOURS, COMPETENT_TASKS = Decimal(8), 2


def points_for_hours(hours: Decimal | float | int, *, per_hour: int = POINTS_PER_HOUR) -> int:
    """Points earned by `hours` of recorded service at `per_hour` (the points bank's rule
    "vs_hour" when it is set, see services.points_per_hour)."""
    value = Decimal(str(hours)) * per_hour
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class StarRating:
    stars: int
    points: int
    next_stars: int | None  # the next rating up, None at five stars
    points_to_next: int | None
    explanation: str

    @property
    def symbols(self) -> str:
        return "★" * self.stars + "☆" * (5 - self.stars)


def star_rating(points: int) -> StarRating:
    """The stars for a year's points, with a sentence saying how they were computed."""
    stars = next((s for s, minimum in STAR_THRESHOLDS if points >= minimum), 0)
    rule = "，".join(f"{s}星≥{minimum}分" for s, minimum in reversed(STAR_THRESHOLDS))
    if stars == 5:
        next_stars = points_to_next = None
        tail = "已达最高星级"
    else:
        next_stars = stars + 1
        minimum = dict(STAR_THRESHOLDS)[next_stars]
        points_to_next = minimum - points
        tail = f"再得{points_to_next}分可评{next_stars}星"
    got = f"评{stars}星" if stars else "未达1星"
    explanation = f"本年度服务积分{points}分（按登记的服务时长和积分银行的每小时分值记分）；规则：{rule}；{got}，{tail}。"
    return StarRating(stars=stars, points=points, next_stars=next_stars, points_to_next=points_to_next, explanation=explanation)


def suggest_grade(*, tasks: int, hours: Decimal | float | int) -> str:
    """The grade the figures suggest (a Grade value); the community decides."""
    hours = Decimal(str(hours))
    if hours >= EXCELLENT_HOURS and tasks >= EXCELLENT_TASKS:
        return "excellent"
    if hours >= COMPETENT_HOURS or tasks >= COMPETENT_TASKS:
        return "competent"
    if tasks >= 1:
        return "basic"
    return "incompetent"
