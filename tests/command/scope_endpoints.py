"""The command API's GET endpoints are for district, street and community staff only (grid workers
get 403, so the generic list/detail scope tests do not apply): tests/command/test_screen.py checks
each for 403 by role and 404 outside the caller's region."""

LIST_ENDPOINTS: dict = {}
DETAIL_ENDPOINTS: dict = {}
SEPARATELY_TESTED: set = {
    "/api/command/kpi", "/api/command/ranking", "/api/command/map-layer", "/api/command/trend", "/api/command/feed",
    "/api/command/cases", "/api/command/key-persons", "/api/command/devices", "/api/command/care",
    "/api/command/cases/{number}/dispatch-options",
}
