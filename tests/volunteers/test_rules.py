"""The pure rules: points per hour, star thresholds and the suggested grade."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from yiwang.volunteers import rules


def test_points_are_ten_an_hour_rounded_half_up():
    assert rules.points_for_hours(Decimal("2.0")) == 20
    assert rules.points_for_hours(Decimal("1.5")) == 15
    assert rules.points_for_hours(Decimal("0.05")) == 1
    assert rules.points_for_hours(3) == 30


def test_star_thresholds():
    assert [rules.star_rating(p).stars for p in (0, 19, 20, 59, 60, 99, 100, 149, 150, 199, 200, 1000)] == \
        [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_star_rating_explains_itself():
    rating = rules.star_rating(75)
    assert rating.stars == 2 and rating.next_stars == 3 and rating.points_to_next == 25
    assert "本年度服务积分75分" in rating.explanation
    assert "3星≥100分" in rating.explanation and "再得25分可评3星" in rating.explanation
    assert rating.symbols == "★★☆☆☆"
    top = rules.star_rating(260)
    assert top.next_stars is None and "已达最高星级" in top.explanation


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_more_points_never_fewer_stars(a, b):
    low, high = sorted((a, b))
    assert rules.star_rating(low).stars <= rules.star_rating(high).stars


def test_suggested_grade():
    assert rules.suggest_grade(tasks=5, hours=Decimal("22")) == "excellent"
    assert rules.suggest_grade(tasks=3, hours=Decimal("22")) == "competent"
    assert rules.suggest_grade(tasks=1, hours=Decimal("9")) == "competent"
    assert rules.suggest_grade(tasks=1, hours=Decimal("2")) == "basic"
    assert rules.suggest_grade(tasks=0, hours=0) == "incompetent"


def test_points_follow_the_banks_hourly_rule(db):
    """The rate is the volunteer bank's rule "vs_hour" (edited there); without it, the default."""
    from yiwang.pointsbank.models import Rule
    from yiwang.volunteers.services import points_per_hour

    assert points_per_hour() == 10
    Rule.objects.filter(bank__code="volunteer", code="vs_hour").update(points=6)
    assert points_per_hour() == 6
    assert rules.points_for_hours(Decimal("1.5"), per_hour=points_per_hour()) == 9
    Rule.objects.filter(bank__code="volunteer", code="vs_hour").update(active=False)
    assert points_per_hour() == rules.POINTS_PER_HOUR
