"""Demo rows for assessment, built last inside `yiwang demo` (it reads everyone else's records).

云枫's property companies get the grids they serve (so the red-yellow-green page has figures), and
the street opens this year's 优秀网格员 round nominated from the records and a 最美云枫人 round
with an organisation's recommendation — the honour the street really awards (seed 000).
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from yiwang.core.scope import Role
from yiwang.regions.models import Level, Region
from yiwang.registry.models import Place, PlaceKind

from . import services
from .models import HonourRound, ManagedArea, Nomination, WorkerReview


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    grids = list(Region.objects.filter(path__startswith=street.path, level=Level.GRID).order_by("path"))
    companies = list(Place.objects.filter(region__path__startswith=street.path, kind=PlaceKind.PROPERTY_COMPANY).order_by("pk"))
    areas = []
    for company in companies:
        home = next((g for g in grids if company.region.path.startswith(g.path)), None)
        served = [home] if home else []
        # Most companies serve their own grid and one neighbour.
        neighbours = [g for g in grids if home and g.parent_id == home.parent_id and g.pk != home.pk]
        if neighbours and rng.random() < 0.6:
            served.append(rng.choice(neighbours))
        areas += [ManagedArea(company=company, region=grid, households=grid.target_households or rng.randint(300, 500)) for grid in served]
    ManagedArea.objects.bulk_create(areas, ignore_conflicts=True)

    # No yearly review: the demo's records are of this year, which is reviewed once it is over.
    street_user = get_user_model().objects.filter(role=Role.STREET, scope_region=street).order_by("username").first()
    year = timezone.localdate().year
    rounds = 0
    if street_user:
        honour = services.open_round(kind="grid_worker", region=street, year=year, places=2, acting_user=street_user)
        services.nominate_from_records(honour_round=honour, acting_user=street_user)
        beautiful = services.open_round(kind="most_beautiful", region=street, year=year, places=5, acting_user=street_user)
        services.nominate(honour_round=beautiful, name="谭秀英", reason="义务照料独居老人十二年，带动楼栋邻里互助。", acting_user=street_user)
        services.nominate(honour_round=beautiful, name="向建国", reason="退役军人，汛期带头巡河护堤，劝离野泳群众三十余人次。",
                          acting_user=street_user)
        rounds = 2
    return f"assessment: {len(areas)} property service areas, {rounds} honour rounds"


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go."""
    delete_rows(Nomination.objects.filter(Q(round__region__path__startswith=inside)))
    delete_rows(HonourRound.objects.filter(region__path__startswith=inside))
    delete_rows(WorkerReview.objects.filter(region__path__startswith=inside))
    delete_rows(ManagedArea.objects.filter(Q(region__path__startswith=inside) | Q(company__region__path__startswith=inside)))
