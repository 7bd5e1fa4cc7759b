"""The analysis page counts its 7- and 28-day hot-spot windows in one pass: the same answer as each window alone."""

from __future__ import annotations

import pytest

from yiwang.analysis import selectors as sel

from .conftest import AS_OF
from .test_selectors import hot  # noqa: F401  (the fixture: a hot spot in grid A's last 7 days)

pytestmark = pytest.mark.django_db


def _plain(window):
    spots = lambda found: [(h.grid.code, h.matter.pk, h.observed, h.baseline_cases, round(h.p, 12), round(h.q, 12)) for h in found]  # noqa: E731
    return (window.days, window.since, window.until, window.baseline_since, window.baseline_days, window.tested,
            spots(window.hotspots), spots(window.elevated))


@pytest.mark.parametrize("who", ["street", "district"])
def test_windows_counted_together_equal_each_alone(hot, users, who):  # noqa: F811
    cases = sel.scope_for(users[who]).cases
    together = sel.hotspot_windows(cases, as_of=AS_OF, windows=sel.WINDOWS)
    alone = [sel.hotspots(cases, as_of=AS_OF, days=days) for days in sel.WINDOWS]
    assert [_plain(w) for w in together] == [_plain(w) for w in alone]
    assert together[0].hotspots, "the 7-day window has its hot spot"


def test_a_window_too_long_is_refused_before_counting(users):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        sel.hotspot_windows(sel.scope_for(users["street"]).cases, as_of=AS_OF, windows=(7, 183))
