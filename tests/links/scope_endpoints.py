"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.links.models import Link, LinkProblem, LinkVisit

LIST_ENDPOINTS: dict = {
    "/api/links": Link,
    "/api/links/visits": LinkVisit,
    "/api/links/problems": LinkProblem,
}
DETAIL_ENDPOINTS: dict = {
    "/api/links/{link_id}": Link,
    "/api/links/{link_id}/visits": Link,
}
# Missed cadence and regions without a link: tests/links/test_api.py.
SEPARATELY_TESTED: set = {"/api/links/missed", "/api/links/unlinked"}
