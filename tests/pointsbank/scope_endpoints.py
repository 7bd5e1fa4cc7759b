"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.pointsbank.models import Balance, Board, LedgerEntry, Redemption, Reward

LIST_ENDPOINTS: dict = {
    "/api/pointsbank/balances": Balance,
    "/api/pointsbank/entries": LedgerEntry,
    "/api/pointsbank/rewards": Reward,
    "/api/pointsbank/redemptions": Redemption,
    "/api/pointsbank/boards": Board,
}
DETAIL_ENDPOINTS: dict = {
    "/api/pointsbank/entries/{entry_id}": LedgerEntry,
    "/api/pointsbank/boards/{board_id}": Board,
}
# Configuration (not regional) and the resident's own account: tests/pointsbank/test_api.py.
SEPARATELY_TESTED: set = {"/api/pointsbank/banks", "/api/pointsbank/me", "/api/pointsbank/me/entries"}
