LIST_ENDPOINTS: dict = {}
DETAIL_ENDPOINTS: dict = {}
# Reviewer-only (district, street, community staff; 403 for others): tests/reviews/test_api.py.
SEPARATELY_TESTED: set = {"/api/reviews/daily", "/api/reviews/weekly", "/api/reviews/weekly/{report_id}"}
