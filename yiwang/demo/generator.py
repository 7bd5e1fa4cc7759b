"""The demo district: 重庆市开州区 with its eight real streets, and 云枫街道 built out as the seed
article describes it (10 communities, 115 grids, 393 micro-grids, ~140,000 residents, the party
tree and the grid forces), plus a login per role.

Everything is drawn from seeded generators, so the same seed gives the same regions, boundaries,
names and codes (sealed values differ: encryption uses a fresh nonce each time). `scale` adds
synthetic 云枫-like streets for benchmarks.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import CASCADE, DO_NOTHING, SET_NULL, Count, ProtectedError, Q

from yiwang.accounts.models import User
from yiwang.forces.models import Assignment, DutyShift, ForceMember
from yiwang.party.models import PartyMember, PartyOrganization
from yiwang.core import audit
from yiwang.core.models import AuditEntry
from yiwang.regions.importing import default_china_data_dir
from yiwang.regions.models import LEVEL_ORDER, BoundaryVersion, Region
from yiwang.registry.models import Building, BuildingUnit, Component, House, Household, Person, PersonTag, Place

from . import vocab
from .grid_forces import ForcesBuilder, current_week_start
from .identity import IdNumberAllocator
from yiwang.cases.models import Case, Device
from yiwang.matters.models import Department

from yiwang.ab_roles import demo as ab_roles_demo
from yiwang.cases import demo as case_desks_demo
from yiwang.ab_roles.models import Desk
from yiwang.activities.models import Activity, Registration, Venue
from yiwang.duties.models import DutyItem, DutyList
from yiwang.links.models import Link, LinkVisit
from yiwang.activities import demo as activities_demo
from yiwang.gridwork import demo as gridwork_demo
from yiwang.campaigns import demo as campaigns_demo
from yiwang.wishes import demo as wishes_demo
from yiwang.volunteers import demo as volunteers_demo
from yiwang.pointsbank import demo as pointsbank_demo
from yiwang.deliberation import demo as deliberation_demo
from yiwang.votes import demo as votes_demo
from yiwang.alliance import demo as alliance_demo
from yiwang.assessment import demo as assessment_demo
from yiwang.reviews import demo as reviews_demo
from yiwang.duties import demo as duties_demo
from yiwang.links import demo as links_demo

from .closed_loop import build_closed_loop, catch_up, delete_closed_loop
from .logins import DEMO_USERNAMES, LoginRow, create_logins
from .party_tree import PartyBuilder
from .places import ComponentCodes, build_places
from .plan import (
    DISTRICT_CODE,
    PERSONS_PER_STREET,
    SYNTHETIC_DISTRICT_PREFIX,
    YUNFENG_STREET,
    build_plan,
    plan_light_streets,
    plan_street_copy,
)
from .population import PopulationBuilder

DEFAULT_SEED = 2026
SMALL_PERSONS_PER_STREET = 3_000
DEFAULT_HISTORY_CASES = 30_000
DEFAULT_HISTORY_YEARS = 1.0
BATCH_SIZE = 4000
# Up to this many persons the whole build is one transaction; beyond it (large --scale) each
# street is its own transaction and a failure deletes what was already written.
SINGLE_TRANSACTION_PERSONS = 1_000_000


class DemoAlreadyLoaded(Exception):
    pass


@dataclass(frozen=True)
class DemoOptions:
    seed: int = DEFAULT_SEED
    scale: int = 1
    persons_per_street: int = PERSONS_PER_STREET
    data_dir: Path | None = None
    # The demo history (yiwang.demo.history) over every street's grids, ending at the build.
    history_cases: int = DEFAULT_HISTORY_CASES
    history_years: float = DEFAULT_HISTORY_YEARS


@dataclass
class DemoSummary:
    counts: dict[str, int]
    logins: list[LoginRow]
    seconds: float
    phases: list[tuple[str, float]] = field(default_factory=list)


def demo_roots():
    """The root regions the demo owns: 开州区 and any synthetic districts (5099xx)."""
    return Region.objects.filter(parent__isnull=True).filter(Q(code=DISTRICT_CODE) | Q(code__startswith=SYNTHETIC_DISTRICT_PREFIX))


def is_loaded() -> bool:
    return demo_roots().exists()


class NotDemoData(Exception):
    """The demo's district code is in the database but `yiwang demo` did not put it there."""


# The demo leaves an audit entry when it builds and another when it deletes, so that --reset and
# --delete can tell the demo from a real 开州区 imported with the same official code.
DEMO_BUILT, DEMO_DELETED = "demo.built", "demo.deleted"


def built_by_demo() -> bool:
    last = AuditEntry.objects.filter(action__in=[DEMO_BUILT, DEMO_DELETED]).order_by("-at", "-id").values_list("action", flat=True).first()
    return last == DEMO_BUILT


def delete_demo(*, log: Callable[[str], None] = lambda message: None) -> None:
    """Remove every row under the demo districts, leaves first (most foreign keys PROTECT).
    Demo accounts are kept (they may have audit history) but lose their scope until rebuilt."""
    roots = list(demo_roots())
    if roots and not built_by_demo():
        raise NotDemoData(f"{DISTRICT_CODE} 的数据不是由 `yiwang demo` 生成的，拒绝删除（not built by the demo; refusing to delete it）")
    with transaction.atomic():
        for root in roots:
            inside = root.path
            started = time.perf_counter()
            User.objects.filter(scope_region__path__startswith=inside).update(scope_region=None)
            for app_demo in reversed(DUTY_RECORD_DEMOS):
                app_demo.delete(inside, delete_rows)
            delete_closed_loop(inside, delete_rows)
            delete_rows(DutyShift.objects.filter(Q(region__path__startswith=inside) | Q(member__region__path__startswith=inside)))
            delete_rows(Assignment.objects.filter(Q(grid__path__startswith=inside) | Q(member__region__path__startswith=inside)))
            delete_rows(ForceMember.objects.filter(region__path__startswith=inside))
            delete_rows(PartyMember.objects.filter(Q(organization__region__path__startswith=inside) | Q(person__region__path__startswith=inside)))
            organizations = PartyOrganization.objects.filter(region__path__startswith=inside)
            while organizations.exists():
                # Parents are PROTECTed by their children: peel the tree from the leaves.
                delete_rows(organizations.filter(children__isnull=True))
            delete_rows(PersonTag.objects.filter(person__region__path__startswith=inside))
            for model in (Person, Household, House, Place, Component):
                delete_rows(model.objects.filter(region__path__startswith=inside))
            delete_rows(BuildingUnit.objects.filter(building__region__path__startswith=inside))
            delete_rows(Building.objects.filter(region__path__startswith=inside))
            for level in reversed(LEVEL_ORDER):
                delete_rows(Region.objects.filter(path__startswith=inside, level=level))
            log(f"deleted the demo under {root.name}({root.code}) in {time.perf_counter() - started:.1f} s")
        BoundaryVersion.bump()
        audit.record(actor=None, action=DEMO_DELETED, target_type="regions.region", detail={"roots": [r.code for r in roots]})


def delete_rows(queryset) -> None:
    """QuerySet.delete() in set-based statements. Django's collector loads every row that has
    SET_NULL or CASCADE references, which takes minutes for 140,000 persons; here each
    reference costs one UPDATE or DELETE by subquery, and PROTECT still refuses. No delete
    signals are sent (the demo has no receivers to honour)."""
    model = queryset.model
    keys = queryset.values("pk")
    try:
        keys.query.sql_with_params()
    except EmptyResultSet:
        return  # filtered by an empty list (e.g. a demo part never built): nothing to delete
    # Many-to-many links in either direction go with the rows (their tables hold no other data).
    for m2m in model._meta.local_many_to_many:
        m2m.remote_field.through._base_manager.filter(**{f"{m2m.m2m_field_name()}__in": keys}).delete()
    for relation in model._meta.related_objects:
        if relation.many_to_many:
            through = relation.field.remote_field.through
            through._base_manager.filter(**{f"{relation.field.m2m_reverse_field_name()}__in": keys}).delete()
            continue
        field = relation.field
        referencing = relation.related_model._base_manager.filter(**{f"{field.name}__in": keys})
        on_delete = field.remote_field.on_delete
        if on_delete is SET_NULL:
            referencing.update(**{field.name: None})
        elif on_delete is CASCADE:
            delete_rows(referencing)
        elif on_delete is not DO_NOTHING and referencing.exists():
            label = f"{relation.related_model._meta.label}.{field.name}"
            raise ProtectedError(f"{label} still references demo rows of {model._meta.label}; remove them first", set(referencing[:5]))
    sql, params = keys.query.sql_with_params()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} IN ({sql})", params)


def _insert_regions(regions: list[Region]) -> None:
    # Level by level: bulk_create needs each parent's primary key before its children.
    for level in LEVEL_ORDER:
        batch = [region for region in regions if region.level == level]
        if batch:
            Region.objects.bulk_create(batch, batch_size=BATCH_SIZE)


def build_demo(*, options: DemoOptions = DemoOptions(), reset: bool = False, log: Callable[[str], None] = lambda message: None) -> DemoSummary:
    started = time.perf_counter()
    phases: list[tuple[str, float]] = []

    def phase(name: str, since: float) -> float:
        now = time.perf_counter()
        phases.append((name, now - since))
        log(f"{name}: {now - since:.1f} s")
        return now

    # Plan first: a missing data file must fail before anything is deleted.
    plan = build_plan(seed=options.seed, scale=options.scale, persons_per_street=options.persons_per_street,
                      data_dir=options.data_dir or default_china_data_dir())
    mark = phase(f"planned {len(plan.districts)} district(s) with {len(plan.streets)} streets", started)
    if is_loaded():
        if not reset:
            raise DemoAlreadyLoaded(f"demo already loaded ({DISTRICT_CODE} exists), use --reset to delete and rebuild it")
        delete_demo(log=log)
        mark = phase("deleted the old demo", mark)

    single_transaction = options.scale * options.persons_per_street <= SINGLE_TRANSACTION_PERSONS
    try:
        with transaction.atomic() if single_transaction else nullcontext():
            with transaction.atomic():
                _insert_regions(plan.districts + plan.streets)
                audit.record(actor=None, action=DEMO_BUILT, target_type="regions.region",
                             detail={"seed": options.seed, "scale": options.scale})
            ids = IdNumberAllocator(rng=random.Random(f"{options.seed}:ids"), fallback_prefixes=vocab.FLOATING_ORIGIN_PREFIXES)
            component_codes = ComponentCodes()
            week_start = current_week_start()
            grid_workers = {}
            for slot in plan.slots:
                label = f"{slot.street.name}({slot.index + 1}/{len(plan.slots)})"
                with transaction.atomic():
                    copy = plan_street_copy(plan, slot)
                    _insert_regions(copy.regions)
                    mark = phase(f"{label} {len(copy.regions)} communities, grids and micro-grids", mark)
                    places = build_places(seed=options.seed, copy=copy, component_codes=component_codes)
                    mark = phase(f"{label} {len(places.places)} places, {places.components} components", mark)
                    residents = PopulationBuilder(seed=options.seed, copy=copy, ids=ids).build()
                    Region.objects.bulk_update([r for grid in copy.grids for r in (grid.region, *(m.region for m in grid.micros))],
                                               ["actual_households"], batch_size=BATCH_SIZE)
                    mark = phase(f"{label} {residents.persons} persons in {residents.households} households", mark)
                    party = PartyBuilder(seed=options.seed, copy=copy, residents=residents).build()
                    mark = phase(f"{label} {party.organizations} party organizations, {party.members} members", mark)
                    forces = ForcesBuilder(seed=options.seed, copy=copy, residents=residents, party=party, places=places,
                                           week_start=week_start).build()
                    mark = phase(f"{label} {forces.members} grid forces, {forces.shifts} duty shifts", mark)
                if slot.index == 0:
                    grid_workers = forces.full_time_by_grid
            with transaction.atomic():
                light = plan_light_streets(plan)
                _insert_regions(light)
            mark = phase(f"{len(plan.light_slots)} other streets: {len(light)} communities, grids and micro-grids", mark)
            with transaction.atomic():
                # Once, now that every boundary is in: point-to-grid indexes rebuild on the new version.
                BoundaryVersion.bump()
                logins = create_logins(grid_workers=grid_workers)
            mark = phase("logins", mark)
            with transaction.atomic():
                loop = build_closed_loop(seed=options.seed, district_code=DISTRICT_CODE, street_code=f"{YUNFENG_STREET}000")
            mark = phase(f"closed loop: {loop.departments} departments, {loop.devices} devices, {loop.cases} cases", mark)
            if options.history_cases:
                from .history import build_history

                history = build_history(cases=options.history_cases, root=list(demo_roots()), years=options.history_years,
                                        seed=options.seed)
                mark = phase(f"history: {history.cases:,} cases ({history.open:,} open now)", mark)
            mark = _build_duty_records(seed=options.seed, phase=phase, mark=mark)
            with transaction.atomic():
                walked = catch_up(inside=f"/{DISTRICT_CODE}/", keep=loop.left_open, seed=options.seed)
            mark = phase(f"{walked} cases of the other steps worked round the loop", mark)
    except BaseException:
        if not single_transaction:
            log("build failed; deleting the partly built demo")
            delete_demo(log=log)
        raise
    return DemoSummary(counts=count_rows(), logins=logins, seconds=time.perf_counter() - started, phases=phases)


# Built in this order, deleted in the reverse one: links name duty items, A/B roles name both.
# Participation records come after: campaigns check duty-list admission, assessment reads everything before it.
DUTY_RECORD_DEMOS = (duties_demo, links_demo, ab_roles_demo, case_desks_demo, activities_demo,
                     gridwork_demo, campaigns_demo, wishes_demo, volunteers_demo, pointsbank_demo, deliberation_demo, votes_demo, alliance_demo, assessment_demo,
                     reviews_demo)


def _build_duty_records(*, seed: int, phase, mark: float) -> float:
    """Duty lists, links, A/B roles and activities of 云枫, in that order (later ones use earlier ones)."""
    district = Region.objects.get(code=DISTRICT_CODE)
    street = Region.objects.get(code=f"{YUNFENG_STREET}000")
    for app_demo in DUTY_RECORD_DEMOS:
        with transaction.atomic():
            summary = app_demo.build(rng=random.Random(f"{seed}:{app_demo.__name__}"), district=district, street=street)
        mark = phase(summary or app_demo.__name__, mark)
    return mark


def _participation_counts() -> dict[str, int]:
    from yiwang.alliance.models import AllianceProject
    from yiwang.campaigns.models import Campaign, TargetCheck
    from yiwang.deliberation.models import Topic
    from yiwang.gridwork.models import HomeVisit, PatrolLog
    from yiwang.pointsbank.models import LedgerEntry, Redemption
    from yiwang.volunteers.models import ServiceTask
    from yiwang.votes.models import Ballot, Vote
    from yiwang.wishes.models import Wish

    return {label: model.objects.count() for label, model in [
        ("patrols", PatrolLog), ("home visits", HomeVisit), ("campaigns", Campaign), ("campaign checks", TargetCheck),
        ("micro-wishes", Wish), ("service tasks", ServiceTask), ("points ledger entries", LedgerEntry), ("redemptions", Redemption),
        ("deliberation topics", Topic), ("ballots", Ballot), ("votes", Vote), ("alliance projects", AllianceProject)]}


def count_rows() -> dict[str, int]:
    counts = {f"regions: {label}": n for label, n in _region_counts()}
    for label, model in [("buildings", Building), ("building units", BuildingUnit), ("houses", House), ("households", Household),
                         ("persons", Person), ("person tags", PersonTag), ("places", Place), ("components", Component),
                         ("party organizations", PartyOrganization), ("party members", PartyMember), ("grid forces", ForceMember),
                         ("assignments", Assignment), ("duty shifts", DutyShift), ("departments", Department), ("devices", Device),
                         ("cases", Case), ("duty lists", DutyList), ("duty list items", DutyItem), ("links", Link),
                         ("link visits", LinkVisit), ("A/B desks", Desk), ("venues", Venue), ("activities", Activity),
                         ("registrations", Registration)]:
        counts[label] = model.objects.count()
    counts.update(_participation_counts())
    counts["demo users"] = User.objects.filter(username__in=DEMO_USERNAMES).count()
    return counts


def _region_counts() -> list[tuple[str, int]]:
    by_level = dict(Region.objects.order_by().values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    return [(level.label, by_level.get(level.value, 0)) for level in LEVEL_ORDER if by_level.get(level.value)]

