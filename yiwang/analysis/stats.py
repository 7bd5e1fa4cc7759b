"""The statistics behind 分析研判, as pure functions (no database, no Django).

- Poisson tail probabilities computed exactly in log space (`poisson_logpmf`, `poisson_sf`,
  `poisson_upper_tail`), so a count far out in the tail gives a tiny but correct p-value, not 0.
- Benjamini–Hochberg adjusted p-values (q-values) for false-discovery control over many cells.
- The hot-spot test of one grid × matter cell (`hotspot_test`): the window's count against the
  grid's own baseline rate for that matter (docs/indicators.md states it).
- A weekly forecast (`forecast_next`) and its error on held-back weeks (`backtest`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

# Baseline defaults of the hot-spot test (docs/indicators.md states them).
PRIOR_CASES = 1.0  # one case assumed in every baseline, so a grid with no history has a small positive rate
MIN_BASELINE_DAYS = 28  # a short history (a system that just started) is spread over at least four weeks
ALPHA = 0.05  # flag when q < ALPHA ...
MIN_CASES = 3  # ... and the window holds at least this many cases


def poisson_logpmf(k: int, mu: float) -> float:
    """log P(X = k) for X ~ Poisson(mu); -inf where the probability is 0."""
    if k < 0:
        return -math.inf
    if mu < 0:
        raise ValueError("mu must not be negative")
    if mu == 0:
        return 0.0 if k == 0 else -math.inf
    return k * math.log(mu) - mu - math.lgamma(k + 1)


def _logsumexp(values: Sequence[float]) -> float:
    top = max(values)
    if top == -math.inf:
        return -math.inf
    return top + math.log(sum(math.exp(v - top) for v in values))


def poisson_log_upper_tail(k: int, mu: float) -> float:
    """log P(X >= k) for X ~ Poisson(mu), summed term by term in log space.

    Above the mean the terms fall geometrically (ratio mu / (i + 1) < 1), so summing upwards from k
    until a term no longer changes the total is exact to rounding. At or below the mean the tail is
    large (at least about a third), so 1 - P(X < k) loses nothing.
    """
    if mu < 0:
        raise ValueError("mu must not be negative")
    if k <= 0:
        return 0.0
    if mu == 0:
        return -math.inf
    if k > mu:
        terms = []
        i = k
        term = poisson_logpmf(i, mu)
        while True:
            terms.append(term)
            i += 1
            term += math.log(mu) - math.log(i)
            if term < terms[0] - 40 and mu / (i + 1) < 0.5:  # e^-40 relative: below double precision
                break
        return _logsumexp(terms)
    lower = math.exp(_logsumexp([poisson_logpmf(i, mu) for i in range(k)]))
    return math.log(max(0.0, 1.0 - lower)) if lower < 1.0 else -math.inf


def poisson_upper_tail(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu): the one-sided p-value of observing k or more when mu is expected."""
    return math.exp(poisson_log_upper_tail(k, mu))


def poisson_sf(k: int, mu: float) -> float:
    """The survival function P(X > k), as scipy.stats.poisson.sf(k, mu) defines it."""
    return poisson_upper_tail(k + 1, mu)


def poisson_cdf(k: int, mu: float) -> float:
    """P(X <= k)."""
    if k < 0:
        return 0.0
    return 1.0 - poisson_sf(k, mu) if k + 1 <= mu else math.exp(_logsumexp([poisson_logpmf(i, mu) for i in range(k + 1)]))


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q-values), in the order given.

    Sorted p(1) <= ... <= p(m): q(i) = min over j >= i of m * p(j) / j, capped at 1. Rejecting every
    hypothesis with q < alpha keeps the expected false discovery rate at or below alpha (for
    independent or positively dependent tests).
    """
    m = len(pvalues)
    for p in pvalues:
        if not 0 <= p <= 1 or math.isnan(p):
            raise ValueError(f"p-value {p} is not within 0..1")
    order = sorted(range(m), key=lambda i: pvalues[i])
    q = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, pvalues[index] * m / rank)
        q[index] = min(1.0, running)
    return q


@dataclass(frozen=True)
class CellTest:
    """One grid × matter cell at one window: the test's inputs and result (q is filled in later)."""

    observed: int
    expected: float
    p: float

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected else math.inf


def expected_count(*, baseline_cases: int, baseline_days: float, window_days: float,
                   prior_cases: float = PRIOR_CASES, min_baseline_days: float = MIN_BASELINE_DAYS) -> float:
    """The count a window of `window_days` should hold at the grid's own rate for the matter:

        rate = (baseline_cases + prior_cases) / max(baseline_days, min_baseline_days)   per day
        expected = rate × window_days
    """
    if baseline_cases < 0 or baseline_days < 0 or window_days <= 0:
        raise ValueError("counts and days must not be negative, the window must be longer than 0")
    return (baseline_cases + prior_cases) / max(baseline_days, min_baseline_days) * window_days


def hotspot_test(*, observed: int, baseline_cases: int, baseline_days: float, window_days: float, **prior) -> CellTest:
    """H0: the window's cases follow Poisson(expected); one-sided p = P(X >= observed)."""
    mu = expected_count(baseline_cases=baseline_cases, baseline_days=baseline_days, window_days=window_days, **prior)
    return CellTest(observed=observed, expected=mu, p=poisson_upper_tail(observed, mu))


def flagged(*, q: float, observed: int, alpha: float = ALPHA, min_cases: int = MIN_CASES) -> bool:
    return q < alpha and observed >= min_cases


# Forecast ----------------------------------------------------------------------------------------

SEASON = 52  # weeks: the same week last year (364 days back, same weekdays)
RECENT = 4  # weeks in the recent mean
SEASONAL_WEIGHT = 0.5  # the blend's weight on last year's week, when there is one
HOLDOUT = 8  # weeks held back to measure the error


def forecast_next(history: Sequence[float], *, season: int = SEASON, recent: int = RECENT, weight: float = SEASONAL_WEIGHT) -> float | None:
    """Next week's count from weekly counts (oldest first).

    recent mean m = mean of the last `recent` weeks (fewer if the history is shorter);
    with at least `season` weeks of history, last year's week s = history[-season] and the
    forecast is weight × s + (1 - weight) × m; otherwise it is m. None for no history.
    """
    if not history:
        return None
    tail = history[-recent:]
    mean = sum(tail) / len(tail)
    if len(history) >= season:
        return weight * history[-season] + (1 - weight) * mean
    return mean


@dataclass(frozen=True)
class Backtest:
    """Forecasts of held-back weeks, each made from the weeks before it, and their errors."""

    pairs: tuple[tuple[float, float], ...]  # (actual, forecast), oldest first
    mae: float | None  # mean |actual - forecast|
    mape: float | None  # mean |actual - forecast| / actual over the weeks with actual > 0
    smape: float | None  # mean 2|actual - forecast| / (|actual| + |forecast|), 0 when both are 0


def errors(pairs: Sequence[tuple[float, float]]) -> tuple[float | None, float | None, float | None]:
    """(MAE, MAPE, sMAPE) of (actual, forecast) pairs; None where nothing can be averaged."""
    if not pairs:
        return None, None, None
    mae = sum(abs(a - f) for a, f in pairs) / len(pairs)
    positive = [(a, f) for a, f in pairs if a > 0]
    mape = sum(abs(a - f) / a for a, f in positive) / len(positive) if positive else None
    smape = sum(0.0 if a == f == 0 else 2 * abs(a - f) / (abs(a) + abs(f)) for a, f in pairs) / len(pairs)
    return mae, mape, smape


def backtest(history: Sequence[float], *, holdout: int = HOLDOUT, **model) -> Backtest:
    """Hold back each of the last `holdout` weeks in turn: forecast it from the weeks before it only.

    A week is tested only when at least one week precedes it, so a history of n weeks tests
    min(holdout, n - 1) weeks.
    """
    n = len(history)
    pairs = []
    for target in range(max(1, n - holdout), n):
        predicted = forecast_next(history[:target], **model)
        pairs.append((float(history[target]), float(predicted)))
    return Backtest(tuple(pairs), *errors(pairs))
