"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.gridwork.models import CarePlan, Finding, HomeVisit, PatrolLog

LIST_ENDPOINTS: dict = {
    "/api/gridwork/patrols": PatrolLog,
    "/api/gridwork/visits": HomeVisit,
    "/api/gridwork/findings": Finding,
    # Plans set inside the caller's scope, plus those above it that apply to it (tests/gridwork/test_api.py).
    "/api/gridwork/care/plans": CarePlan,
}
DETAIL_ENDPOINTS: dict = {
    "/api/gridwork/patrols/{patrol_id}": PatrolLog,
    "/api/gridwork/visits/{visit_id}": HomeVisit,
}
# Coverage per grid and the overdue list: tests/gridwork/test_api.py.
SEPARATELY_TESTED: set = {"/api/gridwork/care/coverage", "/api/gridwork/care/overdue"}
