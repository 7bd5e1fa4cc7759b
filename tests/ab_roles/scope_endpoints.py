"""A/B roles' GET endpoints for tests/test_scope.py."""

from yiwang.ab_roles.models import Desk, Leave

LIST_ENDPOINTS = {"/api/ab/desks": Desk, "/api/ab/leaves": Leave}
DETAIL_ENDPOINTS = {"/api/ab/desks/{desk_id}": Desk, "/api/ab/leaves/{leave_id}": Leave}
# The caller's own duties: tests/ab_roles/test_ab_roles.py.
SEPARATELY_TESTED = {"/api/ab/mine"}
