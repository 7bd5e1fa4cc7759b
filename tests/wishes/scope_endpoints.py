"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.wishes.models import Wish

LIST_ENDPOINTS: dict = {"/api/wishes": Wish}
DETAIL_ENDPOINTS: dict = {"/api/wishes/{wish_id}": Wish}
# A resident's own wishes, what a claimant may claim and has claimed, the counts: tests/wishes/test_api.py.
SEPARATELY_TESTED: set = {"/api/wishes/mine", "/api/wishes/claimable", "/api/wishes/claimed", "/api/wishes/counts"}
