"""The pure statistics of 分析研判 (yiwang.analysis.stats, yiwang.analysis.clusters), against values
worked out by hand or by an independent high-precision sum, and with Hypothesis properties."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal, getcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.analysis import stats
from yiwang.analysis.clusters import Point, near_duplicate_components, normalise_address


def reference_upper_tail(k: int, mu: float) -> float:
    """P(X >= k) = 1 - e^-mu sum_{i<k} mu^i / i!, in 80-digit decimals (no cancellation trouble)."""
    getcontext().prec = 80
    m = Decimal(mu)
    term, total = Decimal(1), Decimal(0)
    for i in range(k):
        if i:
            term = term * m / i
        total += term
    return float(1 - (-m).exp() * total)


# Poisson -----------------------------------------------------------------------------------------

def test_poisson_tail_known_values():
    # P(X >= 1) = 1 - e^-mu; P(X >= 3 | 1) = 1 - 2.5/e; P(X >= 0) = 1.
    assert stats.poisson_upper_tail(1, 2.0) == pytest.approx(1 - math.exp(-2), rel=1e-14)
    assert stats.poisson_upper_tail(3, 1.0) == pytest.approx(1 - 2.5 / math.e, rel=1e-13)
    assert stats.poisson_upper_tail(0, 5.0) == 1.0
    # scipy.stats.poisson.sf(k, mu) is P(X > k): sf(2, 1) = P(X >= 3 | 1).
    assert stats.poisson_sf(2, 1.0) == pytest.approx(0.08030139707139416, rel=1e-12)
    # Far in the tail the first term dominates: P(X >= 30 | 0.5) ~ 0.5^30 e^-0.5 / 30! (1 + 0.5/31 + ...).
    tiny = stats.poisson_upper_tail(30, 0.5)
    first = 0.5 ** 30 * math.exp(-0.5) / math.factorial(30)
    assert first < tiny < first * 1.02
    assert tiny > 0  # not rounded away


@pytest.mark.parametrize("k,mu", [(3, 0.0385), (5, 1.2), (12, 4.0), (40, 10.0), (2, 9.0), (9, 9.0), (100, 80.0), (200, 30.0)])
def test_poisson_tail_matches_a_high_precision_sum(k, mu):
    expected = reference_upper_tail(k, mu)
    assert stats.poisson_upper_tail(k, mu) == pytest.approx(expected, rel=1e-10)


def test_poisson_log_tail_survives_where_the_probability_underflows():
    log_p = stats.poisson_log_upper_tail(400, 1.0)
    assert math.isfinite(log_p)
    assert log_p == pytest.approx(stats.poisson_logpmf(400, 1.0) + math.log1p(1 / 401 + 1 / (401 * 402)), rel=1e-9)


def test_poisson_edges():
    assert stats.poisson_upper_tail(1, 0.0) == 0.0
    assert stats.poisson_upper_tail(0, 0.0) == 1.0
    assert stats.poisson_logpmf(-1, 2.0) == -math.inf
    with pytest.raises(ValueError):
        stats.poisson_upper_tail(2, -1.0)


@given(st.integers(0, 150), st.floats(0.001, 120))
def test_tail_is_a_probability_and_falls_with_k(k, mu):
    p, p_next = stats.poisson_upper_tail(k, mu), stats.poisson_upper_tail(k + 1, mu)
    assert 0 <= p_next <= p <= 1
    # P(X >= k) - P(X >= k + 1) = P(X = k)
    assert p - p_next == pytest.approx(math.exp(stats.poisson_logpmf(k, mu)), abs=1e-12)


@given(st.integers(1, 60), st.floats(0.01, 50), st.floats(0.01, 50))
def test_tail_rises_with_the_mean(k, a, b):
    low, high = sorted((a, b))
    assert stats.poisson_upper_tail(k, low) <= stats.poisson_upper_tail(k, high) + 1e-12


# Benjamini–Hochberg ------------------------------------------------------------------------------

def test_bh_known_values():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") = 0.02 0.04 0.04 0.02
    assert stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # The step-up: the largest p caps everything below it once m p / rank is larger.
    assert stats.benjamini_hochberg([0.01, 0.02, 0.03, 0.04, 0.05]) == pytest.approx([0.05] * 5)
    assert stats.benjamini_hochberg([0.9, 0.001]) == pytest.approx([0.9, 0.002])
    assert stats.benjamini_hochberg([]) == []
    with pytest.raises(ValueError):
        stats.benjamini_hochberg([1.5])


@given(st.lists(st.floats(0, 1), min_size=1, max_size=60))
def test_bh_properties(pvalues):
    q = stats.benjamini_hochberg(pvalues)
    assert len(q) == len(pvalues)
    for p, qi in zip(pvalues, q):
        assert p <= qi + 1e-15 and qi <= 1
        assert qi <= min(1.0, p * len(pvalues)) + 1e-12  # never worse than Bonferroni
    # Monotone: a smaller p never gets a larger q.
    pairs = sorted(zip(pvalues, q))
    assert all(a[1] <= b[1] + 1e-15 for a, b in zip(pairs, pairs[1:]))


# The hot-spot test -------------------------------------------------------------------------------

def test_expected_count_uses_the_grid_rate_with_one_prior_case():
    # 25 cases in 182 days (+1 prior) -> 26/182 a day -> 1.0 in a 7-day window.
    assert stats.expected_count(baseline_cases=25, baseline_days=182, window_days=7) == pytest.approx(1.0)
    # No history: 1/182 a day, small but not zero.
    assert stats.expected_count(baseline_cases=0, baseline_days=182, window_days=7) == pytest.approx(7 / 182)
    # A short history is spread over at least 28 days.
    assert stats.expected_count(baseline_cases=3, baseline_days=5, window_days=7) == pytest.approx(1.0)


def test_hotspot_test_and_flag():
    cell = stats.hotspot_test(observed=6, baseline_cases=25, baseline_days=182, window_days=7)
    assert cell.expected == pytest.approx(1.0) and cell.ratio == pytest.approx(6.0)
    assert cell.p == pytest.approx(reference_upper_tail(6, 1.0), rel=1e-10)
    assert stats.flagged(q=0.01, observed=3) and not stats.flagged(q=0.01, observed=2) and not stats.flagged(q=0.05, observed=10)


# Forecast ----------------------------------------------------------------------------------------

def test_forecast_of_a_constant_series_is_the_constant_and_has_no_error():
    series = [10] * 70
    assert stats.forecast_next(series) == 10
    bt = stats.backtest(series)
    assert len(bt.pairs) == 8 and bt.mae == 0 and bt.mape == 0 and bt.smape == 0


def test_forecast_blends_last_years_week_with_the_recent_mean():
    # 60 weeks: week i has count i; next week's last-year week is history[-52] = 8; recent mean (56..59) = 57.5.
    series = list(range(60))
    assert stats.forecast_next(series) == pytest.approx(0.5 * 8 + 0.5 * 57.5)
    # Shorter than a season: the recent mean only.
    assert stats.forecast_next([1, 2, 3, 4, 5, 6]) == pytest.approx(4.5)
    assert stats.forecast_next([7]) == 7 and stats.forecast_next([]) is None


def test_seasonal_pattern_is_caught_by_the_seasonal_part():
    # A yearly spike: 10 every week but 50 in week 10 of each year; the forecast for the spike week sees it.
    series = [50 if i % 52 == 10 else 10 for i in range(52 + 10)]
    assert stats.forecast_next(series) == pytest.approx(0.5 * 50 + 0.5 * 10)


def test_backtest_errors_on_a_known_series():
    # A linear rise by 1 a week, no season (short): the 4-week mean lags by 2.5 weeks every time.
    series = list(range(1, 21))
    bt = stats.backtest(series)
    assert [a for a, _ in bt.pairs] == list(range(13, 21))
    assert all(a - f == pytest.approx(2.5) for a, f in bt.pairs)
    assert bt.mae == pytest.approx(2.5)
    assert bt.mape == pytest.approx(sum(2.5 / a for a in range(13, 21)) / 8)
    assert bt.smape == pytest.approx(sum(5 / (2 * a - 2.5) for a in range(13, 21)) / 8)


def test_errors_with_zero_weeks():
    assert stats.errors([(0, 0), (0, 2)]) == (1.0, None, 1.0)
    assert stats.errors([]) == (None, None, None)
    assert stats.backtest([5]).pairs == () and stats.backtest([5]).mae is None


@given(st.lists(st.integers(0, 500), min_size=2, max_size=120))
def test_backtest_properties(series):
    bt = stats.backtest(series)
    assert len(bt.pairs) == min(8, len(series) - 1)
    assert [a for a, _ in bt.pairs] == series[-len(bt.pairs):]
    assert bt.mae >= 0 and 0 <= bt.smape <= 2
    # A forecast is a weighted mean of past counts, so it stays within their range.
    for i, (_, f) in enumerate(bt.pairs):
        past = series[: len(series) - len(bt.pairs) + i]
        assert min(past) - 1e-9 <= f <= max(past) + 1e-9


# Clusters and addresses --------------------------------------------------------------------------

T0 = datetime(2026, 3, 9, 10)
# ~0.0009 degrees of latitude is ~100 m.
def pt(key, matter=1, dlat_m=0.0, dlon_m=0.0, hours=0.0):
    return Point(key, matter, 108.30 + dlon_m / 95_000, 31.10 + dlat_m / 111_200, T0 + timedelta(hours=hours))


def test_components_join_chains_and_respect_matter_radius_and_time():
    points = [pt("a"), pt("b", dlat_m=80), pt("c", dlat_m=160, hours=10),  # a-b-c a chain (a-c 160 m apart)
              pt("d", matter=2, dlat_m=10),  # another matter: not joined
              pt("e", dlat_m=30, hours=100),  # too late after everyone
              pt("f", dlat_m=1000), pt("g", dlat_m=1050, hours=1)]  # a pair far away
    assert near_duplicate_components(points, radius_m=100, window_hours=72) == [["a", "b", "c"], ["f", "g"]]
    assert near_duplicate_components(points, radius_m=100, window_hours=200)[0] == ["a", "b", "c", "e"]
    assert near_duplicate_components(points, radius_m=50, window_hours=72) == [["f", "g"]]


@given(st.lists(st.tuples(st.integers(0, 2), st.floats(0, 500), st.floats(0, 500), st.floats(0, 200)), max_size=25))
def test_components_are_a_partition_of_linked_points(raw):
    points = [pt(i, m, y, x, h) for i, (m, y, x, h) in enumerate(raw)]
    found = near_duplicate_components(points, radius_m=100, window_hours=48)
    keys = [k for comp in found for k in comp]
    assert len(keys) == len(set(keys))
    assert [len(c) for c in found] == sorted((len(c) for c in found), reverse=True)
    by_key = {p.key: p for p in points}
    for comp in found:
        assert len({by_key[k].matter for k in comp}) == 1


def test_normalise_address():
    assert normalise_address("永先路１２号 3栋") == normalise_address("永先路12号3栋") == "永先路12号3栋"
    assert normalise_address("  汉丰街道，盛山路-8号。") == "汉丰街道盛山路8号"
    assert normalise_address("Block A") == normalise_address("block-a")
    assert normalise_address("") == ""
