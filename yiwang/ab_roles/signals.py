"""What ab_roles announces to the apps above it, which own the work a person holds.

`leave_started(sender=Leave, leave, acting_user, now)`: a leave recorded when it has already begun,
sent inside the recording transaction. Receivers hand the person's open work to whoever acts now
(cases: `cases.handover`); a leave that begins later is handed over by their periodic job.
"""

from django.dispatch import Signal

leave_started = Signal()
