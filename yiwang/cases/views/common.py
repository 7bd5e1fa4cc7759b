"""What the case pages share: the actions' names, one sentence for a refused action, a finite number
from a form, and the session's list of cases this browser may see in full."""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core import errors

from ..forms import field_label
from ..lifecycle import IllegalTransition
from ..models import Case, Status

ACTION_LABELS = {
    "report": gettext_lazy("上报"), "handover": gettext_lazy("A角请假，转B角"), "accept": gettext_lazy("受理立案"), "reject": gettext_lazy("不予立案"),
    "merge": gettext_lazy("并案"), "solve_on_spot": gettext_lazy("现场解决"), "dispatch": gettext_lazy("派遣"),
    "sign": gettext_lazy("签收"), "return": gettext_lazy("退回"), "handle": gettext_lazy("处置完成"),
    "verify": gettext_lazy("核查通过"), "rework": gettext_lazy("返工"), "close": gettext_lazy("结案"),
    "rate": gettext_lazy("评价"), "rate_unsatisfied": gettext_lazy("不满意评价"), "reopen": gettext_lazy("重启"),
    "request_extension": gettext_lazy("申请延期"), "approve_extension": gettext_lazy("批准延期"),
    "refuse_extension": gettext_lazy("驳回延期"), "hold": gettext_lazy("挂账"), "release": gettext_lazy("恢复办理"),
    "summon": gettext_lazy("吹哨"), "escalate": gettext_lazy("上报上级"), "auto_escalate": gettext_lazy("超时自动上报"),
    "mark_overdue": gettext_lazy("超时"), "supervise": gettext_lazy("督办"), "urge": gettext_lazy("催办"),
    "remind": gettext_lazy("即将超时提醒"),
    # A supervision order's steps on the case's timeline (cases/supervision.py).
    "supervision_issue": gettext_lazy("发出督办"), "supervision_answer": gettext_lazy("督办答复"),
    "supervision_close": gettext_lazy("督办办结"), "supervision_return": gettext_lazy("督办退回重办"),
    "supervision_mark_overdue": gettext_lazy("督办超时未答复"),
}

# The cases (by number) this browser reported or showed the access code of: it may see their photos
# (read by photos.case_photo) and every note of their timeline.
TRACKED_SESSION_KEY = "tracked_cases"


def describe_error(exc: Exception) -> str:
    """One sentence for a refused action, naming the field at fault."""
    if isinstance(exc, IllegalTransition):
        return _("当前状态“%(status)s”下不能执行“%(action)s”") % {
            "status": Status(exc.status).label if exc.status in Status.values else exc.status,
            "action": ACTION_LABELS.get(exc.action, exc.action)}
    if isinstance(exc, PermissionDenied):
        return _("您无权执行此操作") + (f"（{exc}）" if str(exc) else "")
    if isinstance(exc, ValidationError):
        return errors.describe(exc, field_label)
    return str(exc)


def float_param(value) -> float | None:
    """A finite number from a form or query string, else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def remember_tracked(request, case: Case) -> None:
    """This browser showed the case's access code (or just reported it): it may see the photos."""
    tracked = [n for n in request.session.get(TRACKED_SESSION_KEY, []) if n != case.number]
    request.session[TRACKED_SESSION_KEY] = [*tracked, case.number][-20:]
