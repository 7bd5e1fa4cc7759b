"""What worktime announces to the apps above it, whose deadlines are computed on its calendar.

`calendar_changed(sender=CalendarYear, old, new, changed_from, now)`: the working days changed from
`changed_from` on (a year's notice entered), sent inside the change's transaction. A receiver moves
its open deadlines so they keep the working time they had left, and returns how many it moved
(cases: `cases.clock.retime_open_cases`).
"""

from django.dispatch import Signal

calendar_changed = Signal()
