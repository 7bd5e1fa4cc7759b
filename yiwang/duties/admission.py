"""Grid admission (网格事项准入): what may be pushed down to a grid, read from the grid task list.

The applicable list is the nearest grid task list ("6+1") above the grid that has an approved
version: the grid's community, else its street, else its district. A matter is admitted iff an
item of that version covers its type; a task (an inspection campaign naming a grid task item) iff
its key is an item of that version. With no grid task list anywhere above the grid, the matter
type's own `grid_admitted` flag decides and tasks are refused; the reason says so.

It runs on every case intake, so the lists live in a per-process cache checked against a stamp
of the grid task lists (see yiwang/core/stamped.py); approvals also drop it at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Max

from yiwang.core.stamped import StampedCache
from yiwang.matters.models import MatterType
from yiwang.regions.models import Region

from .models import DutyItemRevision, DutyList, DutyListVersion, ListKind


@dataclass(frozen=True)
class Admission:
    admitted: bool
    reason: str  # Chinese sentence for the case history / error, naming the list and version
    version: DutyListVersion | None


class NotAdmitted(ValidationError):
    """Refused admission; the message is keyed by "matter" or "task"."""

    def __init__(self, admission: Admission, field: str):
        super().__init__({field: [admission.reason]})
        self.admission = admission
        self.field = field


@dataclass(frozen=True)
class _GridList:
    version: DutyListVersion
    label: str  # 《开州区网格任务清单》第3版
    region_name: str
    # matter type id -> (key, title) of the first item covering it
    matters: dict[int, tuple[str, str]]
    # item key -> title
    tasks: dict[str, str]


def _build() -> dict[str, _GridList]:
    """Region code -> the grid task list it owns, as its current version says."""
    lists = list(DutyList.objects.filter(kind=ListKind.GRID_TASKS, current_version__isnull=False)
                 .select_related("region", "current_version"))
    if not lists:
        return {}
    version_ids = [duty_list.current_version_id for duty_list in lists]
    tasks: dict[int, dict[str, str]] = {vid: {} for vid in version_ids}
    revision_item: dict[int, tuple[int, str, str]] = {}
    for revision_id, version_id, key, title in (DutyItemRevision.objects.filter(version_id__in=version_ids)
                                                .order_by("item__key").values_list("pk", "version_id", "item__key", "title")):
        tasks[version_id][key] = title
        revision_item[revision_id] = (version_id, key, title)
    matters: dict[int, dict[int, tuple[str, str]]] = {vid: {} for vid in version_ids}
    through = DutyItemRevision.matter_types.through
    rows = through.objects.filter(dutyitemrevision__version_id__in=version_ids).values_list("dutyitemrevision_id", "mattertype_id")
    for revision_id, matter_id in sorted(rows, key=lambda row: revision_item[row[0]][1]):
        version_id, key, title = revision_item[revision_id]
        matters[version_id].setdefault(matter_id, (key, title))
    out = {}
    for duty_list in lists:
        version = duty_list.current_version
        version.duty_list = duty_list
        out[duty_list.region.code] = _GridList(
            version=version, label=f"《{duty_list.name}》第{version.number}版", region_name=duty_list.region.name,
            matters=matters[version.pk], tasks=tasks[version.pk])
    return out


def _stamp() -> tuple:
    """One cheap query: moves when a grid task list is added, removed or gets a new current
    version, and when an owning region is edited (a new code moves its list to another key)."""
    return tuple(DutyList.objects.filter(kind=ListKind.GRID_TASKS)
                 .aggregate(n=Count("pk"), at=Max("updated_at"), region_at=Max("region__updated_at")).values())


_lists = StampedCache(stamp=_stamp, build=_build)


def forget() -> None:
    """Drop the cached lists (an approval just changed one)."""
    _lists.invalidate()


def applicable_list(grid: Region) -> _GridList | None:
    """The nearest grid task list in force at or above `grid`."""
    by_owner = _lists.get()
    for code in reversed([part for part in grid.path.strip("/").split("/") if part]):
        found = by_owner.get(code)
        if found is not None:
            return found
    return None


def _matter_label(matter_type: MatterType) -> str:
    return f"事项 {matter_type.code} {matter_type.name}"


def grid_admission(*, grid: Region, matter_type: MatterType | None = None, task_key: str | None = None) -> Admission:
    """May this matter (or task) be pushed down to `grid`? With both given, both must be admitted."""
    if matter_type is None and not task_key:
        raise TypeError("grid_admission needs a matter_type or a task_key")
    found = applicable_list(grid)
    answers = []
    if matter_type is not None:
        answers.append(_matter_admission(grid, matter_type, found))
    if task_key:
        answers.append(_task_admission(grid, str(task_key).strip(), found))
    refused = [a for a in answers if not a.admitted]
    return refused[0] if refused else answers[0] if len(answers) == 1 else Admission(True, "；".join(a.reason for a in answers), answers[0].version)


def _matter_admission(grid: Region, matter_type: MatterType, found: _GridList | None) -> Admission:
    what = _matter_label(matter_type)
    if found is None:
        if matter_type.grid_admitted:
            return Admission(True, f"{grid.name}及其上级未设网格任务清单，按事项目录：{what}准入网格", None)
        return Admission(False, f"{grid.name}及其上级未设网格任务清单，按事项目录：{what}未准入网格，不得下派到网格", None)
    item = found.matters.get(matter_type.pk)
    if item is not None:
        return Admission(True, f"{what}属于{found.label}“{item[0]} {item[1]}”，准入网格", found.version)
    return Admission(False, f"{what}不在{found.label}之内，未准入网格，不得下派到网格", found.version)


def _task_admission(grid: Region, key: str, found: _GridList | None) -> Admission:
    if found is None:
        return Admission(False, f"{grid.name}及其上级未设网格任务清单，任务 {key} 不得下派到网格", None)
    title = found.tasks.get(key)
    if title is not None:
        return Admission(True, f"任务 {key} {title}是{found.label}的清单事项，准入网格", found.version)
    return Admission(False, f"任务 {key} 不在{found.label}之内，未准入网格，不得下派到网格", found.version)


def require_grid_admission(*, grid: Region, matter_type: MatterType | None = None, task_key: str | None = None) -> Admission:
    """The admission, or NotAdmitted naming the field ("matter" or "task") with the reason."""
    if matter_type is not None and task_key:
        require_grid_admission(grid=grid, matter_type=matter_type)
        return require_grid_admission(grid=grid, task_key=task_key)
    admission = grid_admission(grid=grid, matter_type=matter_type, task_key=task_key)
    if not admission.admitted:
        raise NotAdmitted(admission, "matter" if matter_type is not None else "task")
    return admission
