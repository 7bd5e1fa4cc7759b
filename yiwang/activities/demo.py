"""Demo rows for this app, built after the closed loop inside `yiwang demo`.

For 云枫街道's first communities: squares, halls and a court; at 滨湖文化广场 the square-dance teams
take turns every evening from Monday to Sunday (as 华山街道 arranged its teams, seed 003), at the
lakeside square the morning tai-chi groups; a few upcoming published activities, one of them full
with a waiting list, a draft, and past ones with their record and photos. Times are relative to
today, so the demo always has something to register for.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.core import crypto
from yiwang.regions.models import Level, Region

from .models import (
    Activity, ActivityKind, ActivityPhoto, ActivityStatus, Registration, RegistrationStatus, RosterSlot, Venue, VenueKind,
)
from .services import activity_clashes, hash_code, new_code, slot_clashes

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "秀英桂英玉兰淑珍建华建国志强国平德明俊杰海燕红梅丽娟晓东春花秋菊冬梅永红小平文华明华玉梅金凤新民光明学军"

# (community index, name, kind, address, capacity, public)
VENUES = [
    (0, "滨湖文化广场", VenueKind.SQUARE, "永先社区滨湖路文化广场", 300, True),
    (0, "永先社区党群服务中心活动室", VenueKind.HALL, "永先社区党群服务中心二楼", 60, True),
    (0, "永先社区篮球场", VenueKind.COURT, "永先社区体育公园内", 100, True),
    (1, "汉丰湖畔广场", VenueKind.SQUARE, "永安社区汉丰湖畔", 400, True),
    (1, "永安社区礼堂", VenueKind.HALL, "永安社区居委会一楼", 150, True),
    (2, "关子社区活动室", VenueKind.HALL, "关子社区服务站", 40, False),
]
# The square-dance teams of 滨湖文化广场 and their turns: two sessions every evening, Monday to Sunday.
DANCE_TEAMS = ["红枫舞蹈队", "夕阳红舞蹈队", "彩虹广场舞队", "金秋健身操队", "欢乐民族舞队"]
EVENING_SESSIONS = [(time(19, 0), time(20, 0)), (time(20, 0), time(21, 0))]
# Mornings at 汉丰湖畔广场.
MORNING_GROUPS = [("晨光太极队", [0, 2, 4]), ("湖畔木兰扇队", [1, 3, 5]), ("晨练健身队", [6])]


def _name(rng: random.Random) -> str:
    given = GIVEN[rng.randrange(0, len(GIVEN) - 1, 2):][:2] if rng.random() < 0.7 else rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _png(rng: random.Random) -> bytes:
    """A small picture of coloured blocks, standing in for a photo of the day."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), tuple(rng.randrange(120, 230) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(0, 440), rng.randrange(0, 320)
        w, h = rng.randrange(20, 120), rng.randrange(20, 120)
        colour = tuple(rng.randrange(30, 255) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x, y, x + w, y + h], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    from yiwang.accounts.models import User

    communities = list(Region.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code")[:3])
    if not communities:
        return "activities: no communities"
    organiser = User.objects.filter(username="community").first()
    venues = {}
    for index, name, kind, address, capacity, public in VENUES:
        region = communities[min(index, len(communities) - 1)]
        venues[name] = Venue.objects.create(region=region, name=name, kind=kind, address=address, capacity=capacity, public=public)

    slots = _roster(rng, venues)
    activities, registrations, photos = _activities(rng, venues, communities, organiser)
    return (f"activities: {len(venues)} venues, {slots} roster slots, {activities} activities, "
            f"{registrations} registrations, {photos} photos")


def _slot(rng: random.Random, venue: Venue, group: str, weekday: int, start: time, end: time) -> RosterSlot:
    # The demo is built from a plan without clashes; say so loudly if the plan ever changes into one.
    assert not slot_clashes(venue=venue, weekday=weekday, start_time=start, end_time=end, valid_from=None, valid_until=None), group
    slot = RosterSlot(venue=venue, group_name=group, weekday=weekday, start_time=start, end_time=end,
                      valid_from=timezone.localdate().replace(month=1, day=1), contact_name=rng.choice(SURNAMES) + "队长")
    slot.set_phone(_phone(rng))
    slot.save()
    return slot


def _roster(rng: random.Random, venues: dict[str, Venue]) -> int:
    made = 0
    square = venues["滨湖文化广场"]
    turn = 0
    for weekday in range(7):
        for start, end in EVENING_SESSIONS:
            _slot(rng, square, DANCE_TEAMS[turn % len(DANCE_TEAMS)], weekday, start, end)
            turn += 1
            made += 1
    lakeside = venues["汉丰湖畔广场"]
    for group, weekdays in MORNING_GROUPS:
        for weekday in weekdays:
            _slot(rng, lakeside, group, weekday, time(7, 0), time(8, 30))
            made += 1
    hall = venues["永安社区礼堂"]
    for weekday in (1, 4):
        _slot(rng, hall, "永安合唱团", weekday, time(14, 30), time(16, 30))
        made += 1
    return made


def _people(rng: random.Random, community: Region, count: int) -> list[tuple[str, str, int | None]]:
    """Registrants: some residents of the community from the registry (linked), the others made up."""
    from yiwang.registry.models import Person

    residents = list(Person.objects.filter(region__path__startswith=community.path).exclude(phone_sealed="")
                     .order_by("id").values_list("pk", "name", "phone_sealed")[:200])
    chosen = rng.sample(residents, min(len(residents), count // 3))
    people = [(name, crypto.decrypt(sealed), pk) for pk, name, sealed in chosen]
    phones = {phone for _, phone, _ in people}
    while len(people) < count:
        phone = _phone(rng)
        if phone not in phones:
            phones.add(phone)
            people.append((_name(rng), phone, None))
    return people


def _register(rng: random.Random, activity: Activity, community: Region, registered: int, waitlisted: int = 0,
              checked_in: int = 0) -> int:
    people = _people(rng, community, registered + waitlisted)
    queued = min(activity.published_at or activity.created_at, activity.starts_at - timedelta(days=1))
    rows = []
    for i, (name, phone, person_id) in enumerate(people):
        queued = queued + timedelta(minutes=rng.randrange(3, 90))
        row = Registration(activity=activity, name=name, person_id=person_id, queued_at=min(queued, activity.closes_at - timedelta(minutes=1)),
                           status=RegistrationStatus.REGISTERED if i < registered else RegistrationStatus.WAITLISTED,
                           code_hash=hash_code(new_code()))
        row.set_phone(phone)
        if i < checked_in:
            row.checked_in_at = activity.starts_at - timedelta(minutes=rng.randrange(0, 30))
        rows.append(row)
    Registration.objects.bulk_create(rows)
    return len(rows)


def _activity(venues: dict, organiser, *, community: Region, title: str, kind: str, starts_at: datetime, ends_at: datetime,
              venue: str | None = None, place: str = "", capacity: int | None = None, status: str = ActivityStatus.PUBLISHED,
              description: str = "", closes_days_before: int | None = None, **record) -> Activity:
    venue_row = venues[venue] if venue else None
    if venue_row is not None:
        clashing, slots = activity_clashes(venue=venue_row, starts_at=starts_at, ends_at=ends_at)
        assert not clashing and not slots, f"demo plan clashes at {venue}: {title}"
    published = None if status == ActivityStatus.DRAFT else starts_at - timedelta(days=10)
    closes = starts_at - timedelta(days=closes_days_before) if closes_days_before else None
    return Activity.objects.create(region=community, title=title, kind=kind, venue=venue_row, place=place, starts_at=starts_at,
                                   ends_at=ends_at, capacity=capacity, status=status, description=description, published_at=published,
                                   registration_closes_at=closes, created_by=organiser, **record)


def _photos(rng: random.Random, activity: Activity, count: int) -> int:
    for i in range(1, count + 1):
        content = _png(rng)
        photo = ActivityPhoto(activity=activity, content_type="image/png", size=len(content))
        photo.image.save(f"activity-{activity.pk}-{i}.png", ContentFile(content), save=False)
        photo.save()
    return count


def _activities(rng: random.Random, venues: dict, communities: list[Region], organiser) -> tuple[int, int, int]:
    yongxian = communities[0]
    yongan = communities[min(1, len(communities) - 1)]
    guanzi = communities[min(2, len(communities) - 1)]
    registrations = photos = 0
    made = []

    # Upcoming, published. The lecture is full with people waiting.
    lecture = _activity(venues, organiser, community=yongxian, title="老年人健康知识讲座", kind=ActivityKind.LECTURE,
                        venue="永先社区党群服务中心活动室", starts_at=_at(3, 9, 30), ends_at=_at(3, 11), capacity=30,
                        description="区人民医院全科医生讲解高血压、糖尿病的日常管理，现场免费测血压。")
    registrations += _register(rng, lecture, yongxian, registered=30, waitlisted=6)
    saturday = (5 - timezone.localdate().weekday()) % 7 or 7
    market = _activity(venues, organiser, community=yongxian, title="邻里跳蚤集市", kind=ActivityKind.MARKET,
                       venue="滨湖文化广场", starts_at=_at(saturday, 9), ends_at=_at(saturday, 12), capacity=40,
                       description="闲置物品交换、义卖，摊位免费，报名即分配摊位。", closes_days_before=1)
    registrations += _register(rng, market, yongxian, registered=17)
    sports = _activity(venues, organiser, community=yongxian, title="社区趣味运动会", kind=ActivityKind.SPORTS_DAY,
                       venue="永先社区篮球场", starts_at=_at(10, 14), ends_at=_at(10, 17), capacity=60,
                       description="拔河、跳绳、袋鼠跳，老少皆宜，以家庭为单位报名。")
    registrations += _register(rng, sports, yongxian, registered=24)
    volunteer = _activity(venues, organiser, community=guanzi, title="关爱独居老人志愿服务日", kind=ActivityKind.VOLUNTEER_DAY,
                          venue="关子社区活动室", starts_at=_at(6, 9), ends_at=_at(6, 12), capacity=20,
                          description="上门打扫、代购、陪伴聊天，志愿服务计入积分。")
    registrations += _register(rng, volunteer, guanzi, registered=8)
    made += [lecture, market, sports, volunteer]
    made.append(_activity(venues, organiser, community=yongan, title="迎新春文艺汇演", kind=ActivityKind.FESTIVAL,
                          venue="永安社区礼堂", starts_at=_at(25, 19), ends_at=_at(25, 21, 30), capacity=140,
                          status=ActivityStatus.DRAFT, description="各文艺团队汇报演出（节目单征集中）。"))

    # Past, with their record and photos.
    fraud = _activity(venues, organiser, community=yongxian, title="防范电信网络诈骗讲座", kind=ActivityKind.LECTURE,
                      venue="永先社区党群服务中心活动室", starts_at=_at(-12, 9, 30), ends_at=_at(-12, 11), capacity=40,
                      status=ActivityStatus.FINISHED, summary="派出所民警结合本辖区案例讲解冒充客服、刷单返利等骗局，现场帮助32位居民安装国家反诈中心App。",
                      attendance=33, finished_at=_at(-12, 12))
    registrations += _register(rng, fraud, yongxian, registered=36, checked_in=33)
    photos += _photos(rng, fraud, 2)
    fair = _activity(venues, organiser, community=yongan, title="中秋游园会", kind=ActivityKind.FESTIVAL, venue="汉丰湖畔广场",
                     starts_at=_at(-20, 15), ends_at=_at(-20, 18), status=ActivityStatus.FINISHED,
                     summary="猜灯谜、做月饼、舞龙表演，各舞蹈队轮流演出，约200名居民参加。", attendance=200, finished_at=_at(-20, 19))
    photos += _photos(rng, fair, 3)
    river = _activity(venues, organiser, community=yongxian, title="河道清漂志愿服务日", kind=ActivityKind.VOLUNTEER_DAY,
                      place="澎溪河滨河步道", starts_at=_at(-8, 8, 30), ends_at=_at(-8, 11), capacity=25,
                      status=ActivityStatus.FINISHED, summary="清理河岸垃圾约300公斤，劝导河边垂钓、游泳等危险行为。",
                      attendance=21, finished_at=_at(-8, 12))
    registrations += _register(rng, river, yongxian, registered=23, checked_in=21)
    photos += _photos(rng, river, 1)
    made += [fraud, fair, river]
    made.append(_activity(venues, organiser, community=yongan, title="露天电影放映", kind=ActivityKind.OTHER, venue="永安社区礼堂",
                          starts_at=_at(-3, 19, 30), ends_at=_at(-3, 21, 30), status=ActivityStatus.CANCELLED,
                          cancel_reason="遇雨取消，改期另行通知。"))
    return len(made), registrations, photos


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go; photo files
    follow once the deletion has committed."""
    inside_activities = Q(region__path__startswith=inside) | Q(venue__region__path__startswith=inside)
    photos = ActivityPhoto.objects.filter(activity__in=Activity.objects.filter(inside_activities))
    files = [name for name in photos.values_list("image", flat=True) if name]
    delete_rows(photos)
    delete_rows(Registration.objects.filter(activity__in=Activity.objects.filter(inside_activities)))
    delete_rows(Activity.objects.filter(inside_activities))
    delete_rows(RosterSlot.objects.filter(venue__region__path__startswith=inside))
    delete_rows(Venue.objects.filter(region__path__startswith=inside))

    def remove_files() -> None:
        for name in files:
            default_storage.delete(name)

    transaction.on_commit(remove_files)
