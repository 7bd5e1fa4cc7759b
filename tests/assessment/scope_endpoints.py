"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.assessment.models import HonourRound

LIST_ENDPOINTS: dict = {"/api/assessment/rounds": HonourRound}
DETAIL_ENDPOINTS: dict = {"/api/assessment/rounds/{round_id}": HonourRound}
# Rankings and scores are computed over scoped cases and regions: tests/assessment/test_assessment.py.
SEPARATELY_TESTED: set = {"/api/assessment/workers", "/api/assessment/departments", "/api/assessment/property"}
