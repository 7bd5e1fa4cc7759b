"""This app's GET endpoints for tests/test_scope.py. Exports are the caller's own (not a scope):
tests/exports/test_exports.py checks that another user's job is 404."""

LIST_ENDPOINTS: dict = {}
DETAIL_ENDPOINTS: dict = {}
SEPARATELY_TESTED: set = {"/api/exports", "/api/exports/{job_id}", "/api/exports/{job_id}/file"}
