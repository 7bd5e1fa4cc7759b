"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.votes.models import Ballot

LIST_ENDPOINTS: dict = {"/api/votes/ballots": Ballot}
DETAIL_ENDPOINTS: dict = {
    "/api/votes/ballots/{ballot_id}": Ballot,
    "/api/votes/ballots/{ballot_id}/results": Ballot,
    "/api/votes/ballots/{ballot_id}/turnout": Ballot,
}
# A resident's own ballots: tests/votes/test_api.py.
SEPARATELY_TESTED: set = {"/api/votes/mine", "/api/votes/mine/{ballot_id}/results"}
