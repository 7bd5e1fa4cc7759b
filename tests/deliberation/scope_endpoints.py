"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.deliberation.models import Meeting, Topic

LIST_ENDPOINTS: dict = {
    "/api/deliberation/topics": Topic,
    "/api/deliberation/meetings": Meeting,
}
DETAIL_ENDPOINTS: dict = {
    "/api/deliberation/topics/{topic_id}": Topic,
    "/api/deliberation/meetings/{meeting_id}": Meeting,
}
# A resident's own topics: tests/deliberation/test_api.py.
SEPARATELY_TESTED: set = {"/api/deliberation/mine"}
