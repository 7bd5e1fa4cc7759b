"""Demo rows for this app, built after the closed loop inside `yiwang demo`.

In 云枫街道's communities (永先 first, with the most), grid workers have collected small wishes on
their home visits (入户走访、需求汇总), mostly from elderly people living alone, low-income
households and left-behind children; the community has reviewed them; party members of the
community, volunteers and alliance units have claimed many, fulfilled some with a photo, and the
community confirmed by phone for wishers without an account. One wish was given back once. Times
are relative to today. Rows go straight into the tables, in states the services would produce.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.regions.models import Level, Region

from .models import ClaimantKind, ConfirmedVia, PostedVia, Wish, WishCategory, WishEvent, WishPhoto, WishStatus

# (title, category, detail)
WISHES = [
    ("想要一台能听戏的收音机", WishCategory.GOODS, "老伴走后一个人在家，喜欢听川剧。"),
    ("希望有人帮忙修理漏水的水龙头", WishCategory.REPAIR, "厨房水龙头滴水好几天了。"),
    ("孩子想要一套课外读物", WishCategory.STUDY, "父母在外务工，孩子读四年级，喜欢看科普书。"),
    ("想学会用智能手机和孙子视频通话", WishCategory.COMPANY, ""),
    ("希望有人陪同去医院复查", WishCategory.HEALTH, "下月要去区人民医院复查，子女不在身边。"),
    ("想要一个助行器", WishCategory.GOODS, "腿脚不便，出门买菜吃力。"),
    ("家里灯泡坏了想请人帮忙更换", WishCategory.REPAIR, "楼道和卧室的灯都不亮了。"),
    ("想给孙子买一个新书包", WishCategory.STUDY, ""),
    ("希望有人帮忙打扫一次卫生", WishCategory.DAILY_HELP, "年纪大了，擦窗户够不着。"),
    ("想要一副老花镜", WishCategory.GOODS, "看报纸看不清楚。"),
    ("想请人上门理发", WishCategory.DAILY_HELP, "行动不便，很久没理发了。"),
    ("孩子想学书法", WishCategory.STUDY, "暑假想找个地方练字。"),
    ("想要一床厚棉被过冬", WishCategory.GOODS, ""),
    ("希望有人帮忙代购常用药品", WishCategory.HEALTH, "降压药快吃完了。"),
    ("想要一台电风扇", WishCategory.GOODS, "夏天屋里太热。"),
    ("希望有人帮忙检查家里的电线", WishCategory.REPAIR, "插座有时冒火花，担心安全。"),
    ("想请人陪着聊聊天", WishCategory.COMPANY, "一个人住，白天没人说话。"),
    ("孩子想要一个篮球", WishCategory.STUDY, ""),
]
REJECT_REASONS = ["属于低保临时救助范围，已转民政办理", "需求较大，已转入党建联盟项目清单统筹"]
FULFIL_NOTES = ["已送上门并教会使用", "上门帮忙处理好了", "已陪同完成", "已购买送达，老人很高兴"]
FEEDBACK = ["非常感谢党员同志", "电话回访，很满意", "谢谢社区，谢谢志愿者", ""]
# Per community: how many wishes end in each state (永先 gets the first plan).
PLANS = [
    {WishStatus.SUBMITTED: 2, WishStatus.PUBLISHED: 3, WishStatus.CLAIMED: 2, WishStatus.FULFILLED: 2, WishStatus.CONFIRMED: 4,
     WishStatus.REJECTED: 1, WishStatus.WITHDRAWN: 1},
    {WishStatus.SUBMITTED: 1, WishStatus.PUBLISHED: 2, WishStatus.CLAIMED: 1, WishStatus.FULFILLED: 1, WishStatus.CONFIRMED: 2,
     WishStatus.REJECTED: 1},
]
CARE_TAGS = ["elderly_alone", "empty_nest", "low_income", "QS05", "disabled"]  # QS05 农村留守儿童 (registry/groups.toml)
COMMUNITIES = 4


def _png(rng: random.Random) -> bytes:
    """A small picture of coloured blocks, standing in for a photo of the fulfilled wish."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 300), tuple(rng.randrange(150, 240) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y, w, h = rng.randrange(0, 360), rng.randrange(0, 260), rng.randrange(20, 100), rng.randrange(20, 100)
        draw.rectangle([x, y, x + w, y + h], fill=tuple(rng.randrange(30, 255) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _wishers(rng: random.Random, community: Region, count: int) -> list:
    """People to wish: those in a care group first, then anyone living in the community."""
    from yiwang.registry.models import Person, PersonTag

    inside = community.path
    cared = list(PersonTag.objects.filter(person__region__path__startswith=inside, tag__in=CARE_TAGS)
                 .order_by("person_id").values_list("person_id", flat=True).distinct()[:400])
    rng.shuffle(cared)
    chosen = list(dict.fromkeys(cared))[:count]
    if len(chosen) < count:
        others = list(Person.objects.filter(region__path__startswith=inside).exclude(pk__in=chosen).order_by("id").values_list("pk", flat=True)[:2000])
        rng.shuffle(others)
        chosen += others[: count - len(chosen)]
    persons = Person.objects.in_bulk(chosen)
    return [persons[pk] for pk in chosen]


def _claimants(community: Region, units: list) -> list[tuple[str, object, object]]:
    """(kind, person, unit) who may claim in the community: in-service party members living there
    first, then volunteers, then the alliance units."""
    from yiwang.forces.models import ForceMember, ForceRole
    from yiwang.party.models import PartyMember

    members = PartyMember.objects.filter(person__region__path__startswith=community.path).select_related("person").order_by("-in_service", "id")[:8]
    volunteers = (ForceMember.objects.filter(role=ForceRole.VOLUNTEER, active=True, person__region__path__startswith=community.path)
                  .select_related("person").order_by("id")[:4])
    found = [(ClaimantKind.PARTY_MEMBER, m.person, None) for m in members]
    found += [(ClaimantKind.VOLUNTEER, v.person, None) for v in volunteers if v.person_id not in {m.person_id for m in members}]
    found += [(ClaimantKind.ALLIANCE_UNIT, None, unit) for unit in units]
    return found


def _at(days_ago: float, hour: int) -> datetime:
    day = timezone.localdate() - timedelta(days=int(days_ago))
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=hour, minutes=int((days_ago % 1) * 60))


class _Builder:
    def __init__(self, rng: random.Random, *, reviewer, poster):
        self.rng, self.reviewer, self.poster = rng, reviewer, poster
        self.events: list[WishEvent] = []
        self.photos = 0

    def event(self, wish: Wish, action: str, before: str, after: str, at: datetime, actor, note: str = "") -> None:
        self.events.append(WishEvent(wish=wish, at=at, actor=actor, action=action, from_status=before, to_status=after, note=note))

    def wish(self, person, plan_status: str, spec: tuple, claimants: list, index: int) -> Wish:
        rng = self.rng
        title, category, detail = spec
        posted = _at(rng.uniform(20, 60), rng.randrange(9, 17))
        wish = Wish(region=person.region, person=person, title=title, content=detail, category=category, status=plan_status,
                    posted_at=posted, posted_by=self.poster, posted_via=PostedVia.STAFF)
        reviewed = posted + timedelta(days=rng.randint(1, 3), hours=rng.randrange(1, 5))
        if plan_status == WishStatus.REJECTED:
            wish.reviewed_at, wish.reviewed_by, wish.reject_reason = reviewed, self.reviewer, rng.choice(REJECT_REASONS)
        elif plan_status != WishStatus.SUBMITTED:
            wish.reviewed_at = wish.published_at = reviewed
            wish.reviewed_by = self.reviewer
            if rng.random() < 0.4:
                wish.deadline = timezone.localdate() + timedelta(days=rng.randint(10, 40))
        if plan_status == WishStatus.WITHDRAWN:
            wish.withdrawn_at = reviewed + timedelta(days=2)
        claimed_at = reviewed + timedelta(days=rng.randint(1, 4), hours=rng.randrange(1, 8))
        if plan_status in (WishStatus.CLAIMED, WishStatus.FULFILLED, WishStatus.CONFIRMED) and claimants:
            kind, claimant_person, unit = claimants[index % len(claimants)]
            wish.claimant_kind, wish.claimant_person, wish.claimant_unit, wish.claimed_at = kind, claimant_person, unit, claimed_at
        elif plan_status in (WishStatus.CLAIMED, WishStatus.FULFILLED, WishStatus.CONFIRMED):
            wish.status = plan_status = WishStatus.PUBLISHED  # nobody to claim in this community
        fulfilled_at = claimed_at + timedelta(days=rng.randint(1, 6), hours=rng.randrange(1, 6))
        if plan_status in (WishStatus.FULFILLED, WishStatus.CONFIRMED):
            wish.fulfilled_at, wish.fulfilment_note = fulfilled_at, rng.choice(FULFIL_NOTES)
        if plan_status == WishStatus.CONFIRMED:
            # Demo wishers have no account: the community confirms by a phone call, recorded as such.
            wish.confirmed_at, wish.confirmed_by = fulfilled_at + timedelta(days=1), self.reviewer
            wish.confirmed_via, wish.feedback = ConfirmedVia.STAFF_FOR_RESIDENT, rng.choice(FEEDBACK)
        wish.save()
        self.history(wish)
        return wish

    def history(self, wish: Wish) -> None:
        self.event(wish, "post", "", WishStatus.SUBMITTED, wish.posted_at, self.poster, "入户走访时代为提交")
        if wish.reject_reason:
            self.event(wish, "reject", WishStatus.SUBMITTED, WishStatus.REJECTED, wish.reviewed_at, self.reviewer, wish.reject_reason)
            return
        if wish.published_at:
            self.event(wish, "approve", WishStatus.SUBMITTED, WishStatus.PUBLISHED, wish.published_at, self.reviewer)
        if wish.withdrawn_at:
            self.event(wish, "withdraw", WishStatus.PUBLISHED, WishStatus.WITHDRAWN, wish.withdrawn_at, self.poster, "居民电话告知不再需要")
        if wish.claimed_at:
            self.event(wish, "claim", WishStatus.PUBLISHED, WishStatus.CLAIMED, wish.claimed_at, None, wish.claimant_label)
        if wish.fulfilled_at:
            self.event(wish, "fulfil", WishStatus.CLAIMED, WishStatus.FULFILLED, wish.fulfilled_at, None, wish.fulfilment_note)
            content = _png(self.rng)
            photo = WishPhoto(wish=wish, content_type="image/png", size=len(content))
            photo.image.save(f"wish-{wish.pk}-1.png", ContentFile(content), save=False)
            photo.save()
            self.photos += 1
        if wish.confirmed_at:
            self.event(wish, "confirm", WishStatus.FULFILLED, WishStatus.CONFIRMED, wish.confirmed_at, self.reviewer,
                       ConfirmedVia.STAFF_FOR_RESIDENT.label + (f"：{wish.feedback}" if wish.feedback else ""))


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    from yiwang.accounts.models import User
    from yiwang.matters.models import Department

    communities = list(Region.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code")[:COMMUNITIES])
    if not communities:
        return "wishes: no communities"
    # Accounts are only read, to name who reviewed and who collected the wishes.
    builder = _Builder(rng, reviewer=User.objects.filter(username="community").first(), poster=User.objects.filter(username="gridworker1").first())
    units = list(Department.objects.filter(is_alliance_unit=True, active=True, region__path__startswith=district.path).order_by("code")[:3])
    made: list[Wish] = []
    first_claimants: list = []
    for number, community in enumerate(communities):
        plan = PLANS[min(number, len(PLANS) - 1)]
        statuses = [status for status, n in plan.items() for _ in range(n)]
        wishers = _wishers(rng, community, len(statuses))
        claimants = _claimants(community, units)
        first_claimants = first_claimants or claimants
        specs = rng.sample(WISHES, min(len(WISHES), len(statuses)))
        for index, (person, status) in enumerate(zip(wishers, statuses)):
            made.append(builder.wish(person, status, specs[index % len(specs)], claimants, index + number))
    # One wish in 永先 was given back once before its present claimant took it.
    given_back = next((w for w in made if w.status == WishStatus.CONFIRMED and w.claimant_kind), None)
    earlier = next((c for c in first_claimants if given_back is not None and c[1] is not None and c[1] != given_back.claimant_person), None)
    if earlier is not None:
        label = f"{earlier[1].name}({ClaimantKind(earlier[0]).label})"
        at = given_back.claimed_at - timedelta(hours=6)
        builder.event(given_back, "claim", WishStatus.PUBLISHED, WishStatus.CLAIMED, at - timedelta(hours=4), None, label)
        builder.event(given_back, "release", WishStatus.CLAIMED, WishStatus.PUBLISHED, at, None, f"{label}退回：临时出差")
    WishEvent.objects.bulk_create(builder.events)
    by_status = {s: sum(1 for w in made if w.status == s) for s in WishStatus.values}
    return (f"wishes: {len(made)} in {len(communities)} communities ({by_status['published']} open, {by_status['claimed']} claimed, "
            f"{by_status['fulfilled'] + by_status['confirmed']} fulfilled, {builder.photos} photos)")


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside` (and any wish naming a person or unit
    there), before the regions go; photo files follow once the deletion has committed."""
    wishes = Wish.objects.filter(Q(region__path__startswith=inside) | Q(person__region__path__startswith=inside)
                                 | Q(claimant_person__region__path__startswith=inside) | Q(claimant_unit__region__path__startswith=inside))
    photos = WishPhoto.objects.filter(wish__in=wishes)
    files = [name for name in photos.values_list("image", flat=True) if name]
    delete_rows(photos)
    delete_rows(WishEvent.objects.filter(wish__in=wishes))
    delete_rows(wishes)

    def remove_files() -> None:
        for name in files:
            default_storage.delete(name)

    transaction.on_commit(remove_files)
