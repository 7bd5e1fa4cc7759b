"""Five-step deliberation (五步议事): 居民提事、网格议事、协商定事、联动办事、群众评事.

A topic (议题) is raised by a resident of a grid; the grid discusses it (the grid worker records the
view of the grid meeting) and answers it or refers it to a consultation meeting (协商议事会); the
meeting decides it; a decided topic becomes tracked work (cases in the closed loop and/or a project
with milestones and progress); when done, the grid's and community's residents evaluate the result.

The legal moves between a topic's states are one table in `lifecycle.py`; each state keeps the time
it was entered in its own column, and every move is a `TopicEvent`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager


class TopicState(models.TextChoices):
    RAISED = "raised", _("居民提事")
    GRID_DISCUSSION = "grid_discussion", _("网格议事")
    CONSULTATION = "consultation", _("待协商定事")
    DECIDED = "decided", _("已定事")
    IN_PROGRESS = "in_progress", _("联动办事")
    DONE = "done", _("已办结·群众评事")
    EVALUATED = "evaluated", _("评议结束")
    REJECTED = "rejected", _("不予采纳")
    MERGED = "merged", _("已合并")


# The column holding the moment each state was entered.
STATE_TIME_FIELD = {state: f"{state}_at" for state in TopicState.values}


class GridOutcome(models.TextChoices):
    REFER = "refer", _("提交协商议事会")
    ANSWER = "answer", _("网格直接答复")


class Topic(models.Model):
    """A matter a resident raises for the neighbourhood to settle together."""

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在网格"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="deliberation_topics", verbose_name=_("提事居民"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("登记人"))
    title = models.CharField(_("议题"), max_length=100)
    description = models.TextField(_("具体情况"))
    location = models.CharField(_("涉及地点"), max_length=200, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=TopicState.choices, default=TopicState.RAISED)

    raised_at = models.DateTimeField(_("提事时间"))
    grid_discussion_at = models.DateTimeField(_("进入网格议事"), null=True, blank=True)
    consultation_at = models.DateTimeField(_("提交协商"), null=True, blank=True)
    decided_at = models.DateTimeField(_("定事时间"), null=True, blank=True)
    in_progress_at = models.DateTimeField(_("开始办事"), null=True, blank=True)
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("评议结束"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("不予采纳时间"), null=True, blank=True)
    merged_at = models.DateTimeField(_("合并时间"), null=True, blank=True)

    # 网格议事: the grid meeting's view, recorded by the grid worker.
    grid_held_on = models.DateField(_("网格议事日期"), null=True, blank=True)
    grid_support = models.PositiveIntegerField(_("赞成"), null=True, blank=True)
    grid_oppose = models.PositiveIntegerField(_("反对"), null=True, blank=True)
    grid_summary = models.TextField(_("网格议事意见"), blank=True)
    grid_outcome = models.CharField(_("网格议事结果"), max_length=8, choices=GridOutcome.choices, blank=True)
    grid_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+", verbose_name=_("网格议事记录人"))

    decision_text = models.TextField(_("定事结果"), blank=True)
    result_summary = models.TextField(_("办理结果"), blank=True)
    closing_reason = models.TextField(_("不予采纳/合并理由"), blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_topics",
                                    verbose_name=_("并入议题"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("议题")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["state", "raised_at"])]

    def __str__(self) -> str:
        return self.title

    def entered_at(self, state: str):
        return getattr(self, STATE_TIME_FIELD[state])


class TopicEvent(models.Model):
    """One move of a topic from one state to another: who, when, why."""

    scope_path_field = "topic__region__path"

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="events", verbose_name=_("议题"))
    action = models.CharField(_("操作"), max_length=24)
    from_state = models.CharField(_("原状态"), max_length=16, choices=TopicState.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=TopicState.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("操作人"))
    note = models.TextField(_("说明"), blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("议题流转记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.topic_id} {self.from_state}→{self.to_state}"


# 协商定事 -------------------------------------------------------------------------------------------

class Meeting(models.Model):
    """A consultation meeting (协商议事会) of a community or a grid."""

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("召开单位"))
    title = models.CharField(_("会议名称"), max_length=100)
    held_at = models.DateTimeField(_("召开时间"))
    place = models.CharField(_("地点"), max_length=100)
    minutes = models.TextField(_("会议纪要"), blank=True)
    minutes_recorded_at = models.DateTimeField(_("纪要时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("组织人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("协商议事会")
        ordering = ["-held_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Decision(models.TextChoices):
    PENDING = "pending", _("待议")
    AGREED = "agreed", _("同意")
    REJECTED = "rejected", _("不同意")
    DEFERRED = "deferred", _("暂缓")


class AgendaItem(models.Model):
    """A topic on a meeting's agenda and what the meeting decided about it."""

    scope_path_field = "meeting__region__path"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda", verbose_name=_("会议"))
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="agenda_items", verbose_name=_("议题"))
    position = models.PositiveSmallIntegerField(_("议程序号"), default=1)
    decision = models.CharField(_("决定"), max_length=8, choices=Decision.choices, default=Decision.PENDING)
    decision_text = models.TextField(_("决定内容"), blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("记录人"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("会议议程")
        ordering = ["meeting", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "topic"], name="deliberation_agenda_topic_once"),
            # A topic waits on at most one agenda at a time (a deferred one may go on a later meeting).
            models.UniqueConstraint(fields=["topic"], condition=models.Q(decision="pending"), name="deliberation_one_pending_agenda"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.topic}"


class AttendeeKind(models.TextChoices):
    RESIDENT_REP = "resident_rep", _("居民代表")
    PARTY_MEMBER = "party_member", _("党员")
    PROPERTY = "property", _("物业")
    DEPARTMENT = "department", _("职能部门")
    COMMUNITY = "community", _("社区/网格工作人员")
    OTHER = "other", _("其他")


class Attendee(models.Model):
    scope_path_field = "meeting__region__path"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees", verbose_name=_("会议"))
    kind = models.CharField(_("身份"), max_length=16, choices=AttendeeKind.choices)
    name = models.CharField(_("姓名"), max_length=50)
    unit = models.CharField(_("单位"), max_length=100, blank=True)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("居民"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("用户"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("参会人员")
        ordering = ["meeting", "kind", "id"]

    def __str__(self) -> str:
        return self.name


# 联动办事 -------------------------------------------------------------------------------------------

class TopicCase(models.Model):
    """A case of the closed loop opened to carry out a decided topic."""

    scope_path_field = "topic__region__path"

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="case_links", verbose_name=_("议题"))
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="deliberation_link", verbose_name=_("事件"))
    created_at = models.DateTimeField(_("转办时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("转办人"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("议题转办事件")
        ordering = ["topic", "id"]

    def __str__(self) -> str:
        return f"{self.topic} → {self.case_id}"


class Project(models.Model):
    """A decided topic carried out as a project: owner unit, milestones, progress in per cent."""

    scope_path_field = "topic__region__path"

    topic = models.OneToOneField(Topic, on_delete=models.CASCADE, related_name="project", verbose_name=_("议题"))
    title = models.CharField(_("项目名称"), max_length=100)
    owner_unit = models.CharField(_("责任单位"), max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("负责人"))
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0, validators=[MaxValueValidator(100)])
    due_on = models.DateField(_("计划完成"), null=True, blank=True)
    created_at = models.DateTimeField(_("立项时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("立项人"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("议事项目")
        constraints = [models.CheckConstraint(condition=models.Q(progress__lte=100), name="deliberation_project_progress_max")]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    scope_path_field = "project__topic__region__path"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("项目"))
    position = models.PositiveSmallIntegerField(_("序号"), default=1)
    title = models.CharField(_("节点"), max_length=100)
    due_on = models.DateField(_("计划日期"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("项目节点")
        ordering = ["project", "position", "id"]

    def __str__(self) -> str:
        return self.title


class ProgressUpdate(models.Model):
    scope_path_field = "project__topic__region__path"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates", verbose_name=_("项目"))
    at = models.DateTimeField(_("时间"))
    progress = models.PositiveSmallIntegerField(_("进度（%）"))
    note = models.TextField(_("进展"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("记录人"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("项目进展")
        ordering = ["project", "at", "id"]

    def __str__(self) -> str:
        return f"{self.project} {self.progress}%"


# 群众评事 -------------------------------------------------------------------------------------------

class Evaluation(models.Model):
    """One resident's score of a done topic; the database keeps it to one per resident per topic."""

    scope_path_field = "topic__region__path"

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="evaluations", verbose_name=_("议题"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("评议居民"))
    score = models.PositiveSmallIntegerField(_("评分"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("意见"), blank=True)
    at = models.DateTimeField(_("评议时间"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("登记人"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("群众评议")
        ordering = ["topic", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "person"], name="deliberation_one_evaluation_per_person"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="deliberation_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.score}"
