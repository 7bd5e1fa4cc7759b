"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.alliance.models import Alliance, AllianceMeeting, AllianceMember, AllianceNeed, AllianceProject, AllianceResource

LIST_ENDPOINTS: dict = {
    "/api/alliance/alliances": Alliance,
    "/api/alliance/members": AllianceMember,
    "/api/alliance/needs": AllianceNeed,
    "/api/alliance/resources": AllianceResource,
    "/api/alliance/projects": AllianceProject,
    "/api/alliance/meetings": AllianceMeeting,
}
DETAIL_ENDPOINTS: dict = {
    "/api/alliance/alliances/{alliance_id}": Alliance,
    "/api/alliance/alliances/{alliance_id}/quarters": Alliance,
    "/api/alliance/members/{member_id}/record": AllianceMember,
    "/api/alliance/needs/{need_id}": AllianceNeed,
    "/api/alliance/projects/{project_id}": AllianceProject,
    "/api/alliance/meetings/{meeting_id}": AllianceMeeting,
}
SEPARATELY_TESTED: set = set()
