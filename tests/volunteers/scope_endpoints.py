"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.volunteers.models import Evaluation, Registration, ServicePost, ServiceTask, TaskClaim, Volunteer

LIST_ENDPOINTS: dict = {
    "/api/volunteers/posts": ServicePost,
    "/api/volunteers/registrations": Registration,
    "/api/volunteers/volunteers": Volunteer,
    "/api/volunteers/tasks": ServiceTask,
    "/api/volunteers/claims": TaskClaim,
    "/api/volunteers/evaluations": Evaluation,
}
DETAIL_ENDPOINTS: dict = {
    "/api/volunteers/posts/{post_id}": ServicePost,
    "/api/volunteers/registrations/{registration_id}": Registration,
    "/api/volunteers/volunteers/{volunteer_id}": Volunteer,
    "/api/volunteers/tasks/{task_id}": ServiceTask,
    "/api/volunteers/claims/{claim_id}": TaskClaim,
    "/api/volunteers/evaluations/{evaluation_id}": Evaluation,
}
# /me (the caller's own record) and /hours (the hours contract): tests/volunteers/test_api.py.
SEPARATELY_TESTED: set = {"/api/volunteers/me", "/api/volunteers/hours"}
