"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.duties.models import DutyList, DutyListVersion

LIST_ENDPOINTS: dict = {"/api/duties/lists": DutyList}
DETAIL_ENDPOINTS: dict = {
    "/api/duties/lists/{list_id}": DutyList,
    "/api/duties/lists/{list_id}/items": DutyList,
    "/api/duties/lists/{list_id}/versions": DutyList,
    "/api/duties/lists/{list_id}/diff": DutyList,
    "/api/duties/versions/{version_id}": DutyListVersion,
    "/api/duties/versions/{version_id}/diff": DutyListVersion,
}
SEPARATELY_TESTED: set = set()
