"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

LIST_ENDPOINTS: dict = {}
DETAIL_ENDPOINTS: dict = {}
SEPARATELY_TESTED: set = set()
