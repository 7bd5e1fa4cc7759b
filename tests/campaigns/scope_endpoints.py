"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.campaigns.models import Campaign, Target

LIST_ENDPOINTS: dict = {
    "/api/campaigns": Campaign,
    "/api/campaigns/targets": Target,
}
DETAIL_ENDPOINTS: dict = {
    "/api/campaigns/{campaign_id}": Campaign,
    "/api/campaigns/targets/{target_id}": Target,
}
SEPARATELY_TESTED: set = set()
