"""Pages of the points banks.

Staff (login, scoped): find a resident and grant points with evidence from a phone, the
resident's ledger with reversals and redemptions on their behalf, the rewards and their stock,
redemptions to hand over, uncivil-behaviour records and the red/black lists, the rules.

Residents (`public`): their balances and ledger with the evidence, the catalogue and redeeming,
their redemptions (cancel while not yet handed over), and their community's published lists.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.utils.translation import gettext

from yiwang.core.pages import run_action, staff_required
from yiwang.core.params import date_param, int_param
from yiwang.core.scope import Action, get_in_scope
from yiwang.regions.models import Level, Region
from yiwang.regions.selectors import community_of
from yiwang.registry.models import Person
from yiwang.core.errors import by_field, describe

from . import selectors, services
from .models import (
    Bank, Board, BoardEntry, BoardStatus, ConductRecord, Dimension, LedgerEntry, ListKind, Redemption, RedemptionStatus, Reward, Rule,
)

FIELD_LABELS = {
    "bank_code": "积分银行", "rule_code": "积分规则", "points": "积分", "reason": "事由", "evidence": "佐证", "photo": "照片",
    "person": "居民", "entry": "记录", "reward": "奖品", "stock": "库存", "quantity": "数量", "status": "状态", "delta": "数量",
    "name": "名称", "points_cost": "所需积分", "region": "区域", "board": "红黑榜", "kind": "榜单", "period_end": "截止日期",
    "description": "不文明行为", "occurred_on": "发生日期", "code": "代码", "title": "积分事项", "dimension": "维度",
    "acting_user": "经办人", "dimension_code": "维度",
}


def _label(key: str) -> str:
    return FIELD_LABELS.get(key, key)


# Staff: overview and a resident's account --------------------------------------------------------

@staff_required
def index(request):
    """/pointsbank/: find a resident in scope; recent entries; what waits to be handed over."""
    q = request.GET.get("q", "").strip()
    people = Person.objects.restrict(request.user).select_related("region")
    found = list(people.filter(name__contains=q).order_by("name", "id")[:30]) if q else []
    recent = (LedgerEntry.objects.restrict(request.user).select_related("bank", "person", "dimension", "granted_by")[:20])
    pending = Redemption.objects.restrict(request.user).filter(status=RedemptionStatus.PENDING).count()
    return render(request, "pointsbank/index.html", {
        "q": q, "found": found, "recent": recent, "pending": pending,
        "drafts": Board.objects.restrict(request.user).filter(status=BoardStatus.DRAFT).count(),
    })


def _rule_groups(banks):
    """Active rules grouped by bank and dimension, for the grant form's select."""
    rules = Rule.objects.filter(bank__in=banks, active=True).select_related("dimension", "bank")
    groups: dict = {}
    for rule in rules:
        groups.setdefault((rule.bank_id, rule.dimension_id), {"bank": rule.bank, "dimension": rule.dimension, "rules": []})["rules"].append(rule)
    return list(groups.values())


def _person_context(request, person: Person, **extra) -> dict:
    banks = selectors.banks_for(person)
    bank_code = request.GET.get("bank", "")
    bank = next((b for b in banks if b.code == bank_code), None)
    return {
        "person": person, "balances": selectors.balances_for(person), "banks": banks, "bank": bank,
        "rule_groups": _rule_groups(banks), "entries": selectors.ledger(person, bank)[:100],
        "reversed_ids": set(LedgerEntry.objects.filter(person=person, reverses__isnull=False).values_list("reverses_id", flat=True)),
        "rewards": selectors.rewards_for(person), "redemptions": selectors.redemptions_of(person)[:20],
        "conduct": ConductRecord.objects.filter(person=person).select_related("recorded_by")[:20],
        "today": timezone.localdate(), "values": {}, "errors": {}, **extra,
    }


@staff_required
def person(request, pk: int):
    """A resident's account: balances per bank, the ledger with evidence, and the grant form."""
    found = get_in_scope(request.user, Person, Action.VIEW, pk=pk)
    return render(request, "pointsbank/person.html", _person_context(request, found))


@staff_required
@require_POST
def grant(request, pk: int):
    """Grant points by a rule (or a free reason), with evidence text and a photo."""
    found = get_in_scope(request.user, Person, Action.CHANGE, pk=pk)
    values = {k: request.POST.get(k, "").strip() for k in ("bank_code", "rule_code", "points", "reason", "evidence")}
    rule_code = values["rule_code"]
    bank_code = values["bank_code"]
    if ":" in rule_code:  # the rule select carries "bank:rule" so one control picks both
        bank_code, rule_code = rule_code.split(":", 1)
    points = int_param(values["points"])
    if points is None and rule_code:
        rule = Rule.objects.filter(bank__code=bank_code, code=rule_code).first()
        points = rule.points if rule else None
    try:
        if points is None:
            raise ValidationError({"points": "请填写积分"})
        entry = services.grant_for_staff(acting_user=request.user, person=found, bank_code=bank_code, points=points,
                                         reason=values["reason"], rule_code=rule_code, evidence=values["evidence"],
                                         photo=request.FILES.get("photo"), source="pointsbank")
    except ValidationError as exc:
        context = _person_context(request, found, values=values, errors=by_field(exc))
        return render(request, "pointsbank/person.html", context, status=400)
    messages.success(request, f"已为{found.name}记入{entry.bank.name} {entry.points:+d} 分，余额 {entry.balance_after} 分")
    return redirect("pointsbank:person", pk=found.pk)


@staff_required
@require_POST
def reverse(request, pk: int):
    entry = get_in_scope(request.user, LedgerEntry, Action.CHANGE, pk=pk)
    return run_action(request, lambda: services.reverse_entry(entry=entry, reason=request.POST.get("reason", ""), acting_user=request.user),
                      success=f"已冲正记录 #{entry.pk}", label=_label, redirect_to=("pointsbank:person", entry.person_id))


@staff_required
@require_POST
def record_conduct(request, pk: int):
    found = get_in_scope(request.user, Person, Action.CHANGE, pk=pk)
    return run_action(request, lambda: services.record_conduct(person=found, occurred_on=date_param(request.POST.get("occurred_on", "")),
                                                               description=request.POST.get("description", ""), acting_user=request.user),
                      success="已记录不文明行为", label=_label, redirect_to=("pointsbank:person", found.pk))


@staff_required
@require_POST
def redeem_for(request, pk: int):
    """Staff redeem on a resident's behalf (at the counter)."""
    found = get_in_scope(request.user, Person, Action.CHANGE, pk=pk)
    reward = selectors.rewards_for(found).filter(pk=int_param(request.POST.get("reward"), -1)).first()

    def redeem():
        if reward is None:
            raise ValidationError({"reward": "请选择奖品"})
        return services.redeem(reward=reward, person=found, acting_user=request.user, quantity=int_param(request.POST.get("quantity"), 1))

    return run_action(request, redeem, success=lambda _redemption: f"{found.name}已兑换{reward.name}", label=_label,
                      redirect_to=("pointsbank:person", found.pk))


def entry_photo(request, pk: int):
    """An entry's evidence photo: for staff in scope, and for the resident it belongs to."""
    user = request.user
    entry = LedgerEntry.objects.restrict(user).filter(pk=pk).first()
    if entry is None and getattr(user, "is_authenticated", False) and user.person_id:
        entry = LedgerEntry.objects.filter(pk=pk, person_id=user.person_id).first()
    if entry is None or not entry.photo:
        raise Http404(gettext("照片不存在"))
    response = FileResponse(entry.photo.open("rb"), content_type=entry.photo_content_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Staff: rewards and redemptions ------------------------------------------------------------------

def _stock_regions(user):
    return Region.objects.restrict(user, Action.CHANGE).filter(level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY]).order_by("path")


@staff_required
def rewards(request):
    errors, values = {}, {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in ("bank", "region", "name", "points_cost", "stock", "description")}
        bank = Bank.objects.filter(code=values["bank"]).first()
        region = _stock_regions(request.user).filter(pk=int_param(values["region"], -1)).first()
        try:
            if bank is None or region is None:
                raise ValidationError({**({"bank_code": "请选择积分银行"} if bank is None else {}),
                                       **({"region": "请选择供应范围"} if region is None else {})})
            reward = services.create_reward(bank=bank, region=region, name=values["name"], points_cost=int_param(values["points_cost"], 0),
                                            stock=int_param(values["stock"], -1), description=values["description"], acting_user=request.user)
            messages.success(request, f"已上架{reward.name}")
            return redirect("pointsbank:rewards")
        except ValidationError as exc:
            errors = by_field(exc)
    listed = Reward.objects.restrict(request.user).select_related("bank", "region").order_by("bank__order", "region__path", "points_cost")
    return render(request, "pointsbank/rewards.html", {
        "rewards": listed, "banks": Bank.objects.filter(active=True), "regions": _stock_regions(request.user),
        "errors": errors, "values": values,
    }, status=400 if errors else 200)


@staff_required
@require_POST
def reward_stock(request, pk: int):
    reward = get_in_scope(request.user, Reward, Action.CHANGE, pk=pk)
    if "active" in request.POST:
        return run_action(request, lambda: services.set_reward_active(reward=reward, active=request.POST["active"] == "1", acting_user=request.user),
                          label=_label, redirect_to="pointsbank:rewards")
    return run_action(request, lambda: services.adjust_stock(reward=reward, delta=int_param(request.POST.get("delta"), 0), acting_user=request.user,
                                                             note=request.POST.get("note", "")),
                      success=lambda updated: f"{updated.name}库存现为 {updated.stock}", label=_label, redirect_to="pointsbank:rewards")


@staff_required
def redemptions(request):
    status = request.GET.get("status", RedemptionStatus.PENDING)
    qs = Redemption.objects.restrict(request.user).select_related("person", "reward", "created_by", "fulfilled_by")
    if status in RedemptionStatus.values:
        qs = qs.filter(status=status)
    return render(request, "pointsbank/redemptions.html", {"rows": qs[:200], "status": status, "statuses": RedemptionStatus.choices})


@staff_required
@require_POST
def redemption_action(request, pk: int, action: str):
    redemption = get_in_scope(request.user, Redemption, Action.CHANGE, pk=pk)
    back = request.POST.get("next") if request.POST.get("next", "").startswith("/pointsbank/") else "pointsbank:redemptions"
    note = request.POST.get("note", "")
    if action == "fulfil":
        return run_action(request, lambda: services.fulfil_redemption(redemption=redemption, acting_user=request.user, note=note),
                          success=lambda _done: f"已发放：{redemption.person.name} {redemption.reward.name}", label=_label, redirect_to=back)
    if action == "cancel":
        return run_action(request, lambda: services.cancel_redemption(redemption=redemption, acting_user=request.user, reason=note),
                          success=lambda _done: f"已取消并退回 {redemption.points} 分", label=_label, redirect_to=back)
    raise Http404


# Staff: red and black lists ----------------------------------------------------------------------

def _communities(user):
    return Region.objects.restrict(user, Action.CHANGE).filter(level=Level.COMMUNITY).order_by("path")


@staff_required
def boards(request):
    errors, values = {}, {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in ("region", "period_start", "period_end", "title", "bank")}
        region = _communities(request.user).filter(pk=int_param(values["region"], -1)).first()
        try:
            if region is None:
                raise ValidationError({"region": "请选择社区"})
            board = services.draft_board(region=region, period_start=date_param(values["period_start"]), period_end=date_param(values["period_end"]),
                                         title=values["title"], bank_code=values["bank"] or "moral", acting_user=request.user)
            messages.success(request, "已生成草稿：红榜按期间积分排名，黑榜取期间不文明行为记录；请核对后发布")
            return redirect("pointsbank:board", pk=board.pk)
        except ValidationError as exc:
            errors = by_field(exc)
    today = timezone.localdate()
    return render(request, "pointsbank/boards.html", {
        "boards": Board.objects.restrict(request.user).select_related("region", "bank")[:100], "communities": _communities(request.user),
        "banks": Bank.objects.filter(active=True), "errors": errors, "values": values,
        "default_start": today.replace(day=1), "today": today,
        "conduct": ConductRecord.objects.restrict(request.user).select_related("person", "recorded_by")[:30],
    }, status=400 if errors else 200)


@staff_required
def board(request, pk: int):
    found = get_in_scope(request.user, Board, Action.VIEW, pk=pk)
    errors, values = {}, {}
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "publish":
                services.publish_board(board=found, acting_user=request.user)
                messages.success(request, "已发布，本社区居民可在积分银行页面查看")
                return redirect("pointsbank:board", pk=found.pk)
            if what == "remove":
                entry = BoardEntry.objects.filter(pk=int_param(request.POST.get("entry"), -1), board=found).first()
                if entry is not None:
                    services.remove_board_entry(entry=entry, acting_user=request.user)
                return redirect("pointsbank:board", pk=found.pk)
            values = {k: request.POST.get(k, "").strip() for k in ("kind", "person", "reason")}
            candidates = Person.objects.restrict(request.user).filter(region__path__startswith=found.region.path)
            matches = list(candidates.filter(Q(name=values["person"]) | Q(pk=int_param(values["person"], -1)))[:2])
            if len(matches) != 1:
                raise ValidationError({"person": "没有找到这位居民" if not matches else "同名居民不止一位，请填写居民编号"})
            services.add_board_entry(board=found, kind=values["kind"], person=matches[0], reason=values["reason"], acting_user=request.user)
            return redirect("pointsbank:board", pk=found.pk)
        except ValidationError as exc:
            errors = by_field(exc)
    entries = found.entries.select_related("person", "conduct")
    return render(request, "pointsbank/board.html", {
        "board": found, "red": [e for e in entries if e.kind == ListKind.RED], "black": [e for e in entries if e.kind == ListKind.BLACK],
        "kinds": ListKind.choices, "errors": errors, "values": values, "editable": found.status == BoardStatus.DRAFT,
    }, status=400 if errors else 200)


# Staff: rules ------------------------------------------------------------------------------------

@staff_required
def rules(request):
    """The banks, their dimensions and rules; district staff (or a community for its own bank) edit them."""
    errors = {}
    if request.method == "POST":
        bank = Bank.objects.filter(pk=int_param(request.POST.get("bank"), -1)).select_related("region").first()
        rule = Rule.objects.filter(pk=int_param(request.POST.get("rule"), -1), bank=bank).first() if request.POST.get("rule") else None
        if bank is None:
            raise Http404
        try:
            saved = services.save_rule(
                bank=bank, rule=rule, acting_user=request.user, code=request.POST.get("code", rule.code if rule else ""),
                title=request.POST.get("title", rule.title if rule else ""), points=int_param(request.POST.get("points"), 0),
                dimension=Dimension.objects.filter(pk=int_param(request.POST.get("dimension"), -1), bank=bank).first() or (rule.dimension if rule else None),
                evidence_required=request.POST.get("evidence_required") == "1", active=request.POST.get("active") == "1")
            messages.success(request, f"已保存规则：{saved.title} {saved.points:+d}")
            return redirect("pointsbank:rules")
        except PermissionDenied:
            messages.error(request, "您没有修改这个积分银行规则的权限（全区通用的积分银行由区级配置）")
        except ValidationError as exc:
            errors = by_field(exc)
            messages.error(request, describe(exc, _label))
    banks = Bank.objects.select_related("region").prefetch_related("dimensions")
    groups = []
    for bank in banks:
        try:
            services.require_bank_admin(request.user, bank)
            editable = True
        except PermissionDenied:
            editable = False
        groups.append({"bank": bank, "editable": editable, "dimensions": [
            {"dimension": d, "rules": list(d.rules.all())} for d in bank.dimensions.all()]})
    return render(request, "pointsbank/rules.html", {"groups": groups, "errors": errors}, status=400 if errors else 200)


# Residents ---------------------------------------------------------------------------------------

def public(request):
    """/pointsbank/public/: the resident's own account. Anonymous visitors are asked to log in."""
    user = request.user
    person = getattr(user, "person", None) if user.is_authenticated else None
    context: dict = {"person": person}
    if person is not None and person.region_id:
        boards = list(selectors.published_boards_for(person)[:3])
        bank_code = request.GET.get("bank", "")
        bank = Bank.objects.filter(code=bank_code).first() if bank_code else None
        context.update({
            "balances": selectors.balances_for(person), "entries": selectors.ledger(person, bank)[:50], "bank": bank,
            "rewards": selectors.rewards_for(person), "redemptions": selectors.redemptions_of(person)[:20],
            "boards": [{"board": b, "red": [e for e in b.entries.select_related("person") if e.kind == ListKind.RED],
                        "black": [e for e in b.entries.select_related("person") if e.kind == ListKind.BLACK]} for b in boards],
            "community": community_of(person.region),
        })
    return render(request, "pointsbank/public.html", context)


def _own_person_or_refuse(request):
    person = getattr(request.user, "person", None)
    if person is None:
        messages.error(request, "请先到社区登记本人信息")
    return person


@login_required
@require_POST
def public_redeem(request, pk: int):
    person = _own_person_or_refuse(request)
    if person is None:
        return redirect("pointsbank:public")
    reward = selectors.rewards_for(person).filter(pk=pk).first()

    def redeem():
        if reward is None:
            raise ValidationError({"reward": "这个奖品不在您所在社区的兑换目录中"})
        return services.redeem(reward=reward, person=person, acting_user=request.user, quantity=int_param(request.POST.get("quantity"), 1))

    return run_action(request, redeem, label=_label, redirect_to="pointsbank:public",
                      success=lambda redemption: f"兑换成功：{reward.name} ×{redemption.quantity}，使用 {redemption.points} 分；请到社区领取")


@login_required
@require_POST
def public_cancel(request, pk: int):
    person = _own_person_or_refuse(request)
    if person is not None:
        redemption = Redemption.objects.filter(pk=pk, person=person).first()
        if redemption is None:
            raise Http404
        return run_action(request, lambda: services.cancel_redemption(redemption=redemption, acting_user=request.user, reason="居民自行取消"),
                          success=lambda _done: f"已取消兑换，退回 {redemption.points} 分", label=_label, redirect_to="pointsbank:public")
    return redirect("pointsbank:public")
