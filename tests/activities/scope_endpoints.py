"""This app's GET endpoints for tests/test_scope.py: list endpoints and detail endpoints with the
model behind them, and those tested elsewhere."""

from yiwang.activities.models import Activity, Registration, RosterSlot, Venue

LIST_ENDPOINTS: dict = {
    "/api/activities": Activity,
    "/api/activities/registrations": Registration,
    "/api/activities/venues": Venue,
    "/api/activities/slots": RosterSlot,
}
DETAIL_ENDPOINTS: dict = {
    "/api/activities/{activity_id}": Activity,
    "/api/activities/registrations/{registration_id}": Registration,
    "/api/activities/venues/{venue_id}": Venue,
    "/api/activities/venues/{venue_id}/timetable": Venue,
    "/api/activities/slots/{slot_id}": RosterSlot,
}
SEPARATELY_TESTED: set = set()
