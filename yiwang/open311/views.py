"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), with the two common extensions:
`page`/`page_size` on GET requests and FixMyStreet's `servicerequestupdates`.

- A service is an active, public matter type that is a problem, not a service application (办事申请);
  its `service_code` is `MatterType.service_code`.
- A service request is a case; its id is the case number. Reads show only cases released for
  publication (yiwang.cases.moderation): the reporter chose so (`public=true` on POST, default
  private) and a moderator released an edited public text, or a coordinator published a redacted
  version of a staff-recorded case. Reads show that public version only (its text, its rounded
  position, the staff's public reply as status_notes), never the reporter's name, phone, own
  words or rating. media_url is a released photo's public (redacted) copy.
- Cases are created at once, so POST answers with the service_request_id. There is no token model:
  the token of a request is its case number, and `tokens/{token}` resolves an Open311 case's number
  to itself, for clients that always go through the token step.
- This server does not geocode: a location is lat/long (WGS-84), or a grid code as address_id.
  address_string alone is refused; with coordinates it is kept as the case's address.
- media_url is not fetched (the server calls no address a client hands it); it is kept as a line of
  the description. Photos may be uploaded as multipart `media` files instead.
- jurisdiction_id is optional; when given it must be this server's (the district code, or
  settings.YIWANG_OPEN311_JURISDICTION).
"""

from __future__ import annotations

import math
import mimetypes
import re
from datetime import datetime, timedelta
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Max, OuterRef, Q, Subquery
from django.http import FileResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from yiwang.cases import moderation
from yiwang.cases.models import OPEN_STATUSES, Case, CaseEvent, Channel, PhotoKind, PublicationState
from yiwang.cases.services import Report, report_case
from yiwang.matters.models import MatterType
from yiwang.matters.selectors import problem_kinds
from yiwang.regions.models import Level, Region

from .models import ApiKey
from .render import FORMATS, errors, iso, respond

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000
# The last page a client may ask for: its offset stays a 32-bit integer, far past any real listing.
MAX_PAGE = 2_147_483_647 // MAX_PAGE_SIZE
# Dates outside these years are mistakes or probes; within them, stepping 90 days either way cannot overflow.
MIN_YEAR, MAX_YEAR = 1900, 2200
# Request ids one search may name.
MAX_IDS = 100
MAX_DESCRIPTION = 4000
# The case services name their own fields; Open311 clients know these names.
PARAM_NAMES = {"lon": "long", "grid": "address_id", "matter": "service_code", "photos": "media", "attributes": "attribute"}
ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
# A "+08:00" sent unescaped in a query string arrives as " 08:00".
SPACED_OFFSET = re.compile(r"(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")


class Problem(Exception):
    """An answer the spec describes as an error list, with its HTTP status."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{PARAM_NAMES.get(field, field)}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)


def parameters(request) -> QueryDict:
    """Query string and form body together (clients put api_key and fields in either); the body wins."""
    merged = request.GET.copy()
    for key in request.POST:
        merged.setlist(key, request.POST.getlist(key))
    return merged


def jurisdiction() -> str | None:
    configured = getattr(settings, "YIWANG_OPEN311_JURISDICTION", None)
    return configured or Region.objects.filter(depth=0).order_by("path").values_list("code", flat=True).first()


def endpoint(*methods: str):
    """Check format, method and jurisdiction, and turn every refusal into the spec's error list.
    Exempt from CSRF: no endpoint uses the session; POST is authorised by api_key alone."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def wrap(view):
        @csrf_exempt
        @wraps(view)
        def run(request, *args, fmt: str, **kwargs):
            if fmt not in FORMATS:
                return errors(404, f"unknown format {fmt!r}: ask for .json or .xml")
            if request.method not in allowed:
                response = errors(405, f"{request.method} is not allowed here", fmt)
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                given = parameters(request).get("jurisdiction_id", "").strip()
                if given and given != jurisdiction():
                    raise Problem(404, f"jurisdiction_id {given!r} is not served here; this server serves {jurisdiction()}")
                return view(request, fmt, *args, **kwargs)
            except Problem as problem:
                return errors(problem.status, problem.description, fmt)
            except ValidationError as error:
                return errors(400, describe(error), fmt)

        return run

    return wrap


def not_found(request, rest: str = ""):
    return errors(404, f"no Open311 resource at {request.path}: see discovery.xml")


# Services ----------------------------------------------------------------------------------------

def public_matters():
    return MatterType.objects.filter(active=True, public=True)


def offered_matters():
    """The services listed to clients: problems only. A service application posted anyway is refused
    by the intake with its reason (办事申请 go to the one-stop hall)."""
    return problem_kinds()


def public_matter(service_code: str) -> MatterType:
    kind, _, code = service_code.partition("-")
    matter = public_matters().filter(kind=kind, code=code).first()
    if matter is None:
        raise Problem(404, f"service_code {service_code!r} is not offered here: see services.json")
    return matter


def service(matter: MatterType) -> dict:
    keywords = ",".join(re.split(r"[,,、;;\s]+", matter.keywords.strip())) if matter.keywords.strip() else None
    return {"service_code": matter.service_code, "service_name": matter.name, "description": matter.service_standard or None,
            "metadata": bool(matter.attributes), "type": "realtime", "keywords": keywords, "group": matter.category or None}


def attribute(question: dict, order: int) -> dict:
    datatype = question.get("datatype", "string")
    item = {"variable": True, "code": question["code"], "datatype": datatype, "required": bool(question.get("required")),
            "datatype_description": question.get("datatype_description") or None, "order": order, "description": question["description"]}
    if datatype.endswith("valuelist"):
        item["values"] = [{"key": str(v["key"]), "name": str(v["name"])} for v in question["values"]]
    return item


@endpoint("GET")
def discovery(request, fmt):
    changed = iso(offered_matters().aggregate(at=Max("updated_at"))["at"] or timezone.now())
    base = request.build_absolute_uri(request.path.rsplit("/", 1)[0] + "/")
    return respond({
        "changeset": changed,
        "contact": getattr(settings, "YIWANG_OPEN311_CONTACT", "") or None,
        "key_service": getattr(settings, "YIWANG_OPEN311_KEY_SERVICE", "") or None,
        "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": changed, "type": "production",
                       "formats": [FORMATS["xml"].split(";")[0], FORMATS["json"].split(";")[0]]}],
    }, fmt, "discovery")


@endpoint("GET")
def services(request, fmt):
    return respond([service(m) for m in offered_matters().order_by("kind", "code")], fmt, "services")


@endpoint("GET")
def service_definition(request, fmt, service_code):
    matter = public_matter(service_code)
    questions = [attribute(q, order) for order, q in enumerate(matter.attributes, start=1)]
    return respond({"service_code": matter.service_code, "attributes": questions}, fmt, "service_definition")


# Service requests --------------------------------------------------------------------------------

def notice(case: Case) -> str | None:
    due = f"应于 {timezone.localtime(case.close_due_at):%Y-%m-%d %H:%M} 前办结" if case.close_due_at else ""
    return ";".join(filter(None, [case.matter.service_standard, due])) or None


# The resident's own words (report, rating and its comment, reopening) are never published.
RESIDENT_ACTIONS = ["report", "rate", "rate_unsatisfied", "reopen"]


def publishable_note(note: str | None, *, case: Case) -> str:
    """A staff note that no moderator read goes out only when it shows no phone, ID number, flat
    number or registry name of the case's community; otherwise the update goes out without text."""
    if not note or moderation.find_hits(note, case=case):
        return ""
    return note


def staff_events():
    return CaseEvent.objects.filter(public=True).exclude(action__in=RESIDENT_ACTIONS)


def with_details(cases):
    """The latest staff public note, last public change and first released photo, in the same query."""
    public = staff_events().filter(case=OuterRef("pk")).order_by("-at", "-id")
    photo = moderation.public_photos().filter(case=OuterRef("pk"), kind=PhotoKind.REPORT).order_by("id")
    return (cases.select_related("matter", "region", "handling_region", "handling_department", "publication")
            .annotate(status_note=Subquery(public.exclude(note="").values("note")[:1]),
                      updated=Subquery(public.values("at")[:1]), photo=Subquery(photo.values("pk")[:1]))
            .order_by("-reported_at", "-id"))


def media_url(request, photo_pk: int | None) -> str | None:
    return request.build_absolute_uri(reverse("open311:media", args=[photo_pk])) if photo_pk else None


def record(request, case: Case) -> dict:
    published = case.publication
    return {
        "service_request_id": case.number,
        "status": "open" if case.is_open else "closed",
        # The staff's public reply: the moderator's, else the latest note staff made public, unless
        # it looks like personal data (no moderator read it).
        "status_notes": published.reply or publishable_note(case.status_note, case=case) or None,
        "service_name": case.matter.name,
        "service_code": case.matter.service_code,
        "description": published.text[:MAX_DESCRIPTION] or None,
        "agency_responsible": (case.handling_department or case.handling_region).name,
        "service_notice": notice(case),
        "requested_datetime": iso(case.reported_at),
        "updated_datetime": iso(case.updated or case.reported_at),
        "expected_datetime": iso(case.close_due_at),
        "address": published.address or None,  # only what the moderator wrote for the public
        "address_id": case.region.code,
        "zipcode": None,
        "lat": published.lat,  # rounded at intake (YIWANG_PUBLIC_COORD_DECIMALS)
        "long": published.lon,
        "media_url": media_url(request, case.photo),
    }


def listed(value: str | None, name: str = "") -> list[str]:
    parts = [part.strip() for part in (value or "").split(",") if part.strip()]
    if len(parts) > MAX_IDS:
        raise Problem(400, f"{name}: at most {MAX_IDS} values, comma separated")
    return parts


def moment(params, name: str) -> datetime | None:
    raw = SPACED_OFFSET.sub(r"\1+\2", params.get(name, "").strip())
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise Problem(400, f"{name}: {raw!r} is not an ISO 8601 date-time such as 2026-05-01T00:00:00+08:00") from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise Problem(400, f"{name}: a date-time from {MIN_YEAR} to {MAX_YEAR} is expected")
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def window(params) -> tuple[datetime, datetime]:
    """start_date..end_date, at most 90 days; a missing end is filled in from the other (or now)."""
    start, end = moment(params, "start_date"), moment(params, "end_date")
    if start is None and end is None:
        end = timezone.now()
    start = start or end - MAX_SPAN
    end = end or start + MAX_SPAN
    if end < start:
        raise Problem(400, "end_date: it is before start_date")
    if end - start > MAX_SPAN:
        raise Problem(400, "start_date, end_date: they may be at most 90 days apart")
    return start, end


def page(queryset, params):
    try:
        number, size = int(params.get("page") or 1), int(params.get("page_size") or MAX_PAGE_SIZE)
    except ValueError:
        raise Problem(400, "page, page_size: whole numbers are expected") from None
    if not 1 <= number <= MAX_PAGE or not 1 <= size <= MAX_PAGE_SIZE:
        raise Problem(400, f"page, page_size: page is 1 to {MAX_PAGE} and page_size is 1 to {MAX_PAGE_SIZE}")
    return queryset[(number - 1) * size: number * size]


def public_cases():
    """Released public versions only; household matters never, even if released before a rule changed."""
    return (Case.objects.filter(publication__state=PublicationState.RELEASED, matter__public=True, number__isnull=False)
            .exclude(external_source__in=moderation.HOUSEHOLD_SOURCES).exclude(matter__category__in=moderation.private_categories()))


def search(request, params):
    cases = public_cases()
    numbers = listed(params.get("service_request_id"), "service_request_id")
    if numbers:  # overrides every other filter, as the spec says
        cases = cases.filter(number__in=numbers)
    else:
        start, end = window(params)
        cases = cases.filter(reported_at__gte=start, reported_at__lte=end)
        codes = listed(params.get("service_code"), "service_code")
        if codes:
            wanted = Q(pk__in=[])
            for kind, _, code in (c.partition("-") for c in codes):
                wanted |= Q(matter__kind=kind, matter__code=code)
            cases = cases.filter(wanted)
        statuses = set(listed(params.get("status"), "status"))
        if statuses - {"open", "closed"}:
            raise Problem(400, "status: open, closed or both (comma separated) are expected")
        if len(statuses) == 1:
            cases = cases.filter(status__in=OPEN_STATUSES) if "open" in statuses else cases.exclude(status__in=OPEN_STATUSES)
    return [record(request, case) for case in page(with_details(cases), params)]


def attribute_answers(params, matter: MatterType) -> dict:
    """attribute[code]=value, and attribute[code][]=value repeated for a multivaluelist. The checks
    are cases.services.check_attributes'; only NaN and infinity are refused here, because it lets
    them through and the database then refuses the JSON (a 500 instead of a 400)."""
    answers = {}
    for key in params:
        found = ATTRIBUTE.match(key)
        if found:
            values = params.getlist(key)
            answers[found[1]] = values if found[2] or len(values) > 1 else values[0]
    for question in matter.attributes:
        if question.get("datatype") == "number" and not finite(answers.get(question["code"])):
            raise Problem(400, f"attribute[{question['code']}]: {question['description']}: a finite number is expected")
    return answers


def finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return True  # not a number at all: check_attributes says so


def location(params) -> tuple[float | None, float | None, Region | None]:
    lat, lon = params.get("lat", "").strip(), params.get("long", "").strip()
    if lat or lon:
        try:
            lon_value, lat_value = float(lon), float(lat)
        except ValueError:
            raise Problem(400, "lat, long: give both, in decimal degrees (WGS-84)") from None
        if not (-180 <= lon_value <= 180 and -90 <= lat_value <= 90):  # also refuses NaN
            raise Problem(400, "lat, long: latitude -90 to 90 and longitude -180 to 180 (WGS-84) are expected")
        return lon_value, lat_value, None
    address_id = params.get("address_id", "").strip()
    if address_id:
        grid = Region.objects.filter(code=address_id, level__in=[Level.GRID, Level.MICRO_GRID]).first()
        if grid is None:
            raise Problem(400, f"address_id: {address_id!r} is not a grid code here; send lat and long (WGS-84) instead")
        return None, None, grid
    if params.get("address_string", "").strip():
        raise Problem(400, "address_string: this server cannot geocode an address; send lat and long (WGS-84), or a grid code as address_id")
    raise Problem(400, "lat, long: a location is required (lat and long in WGS-84, or a grid code as address_id)")


def reporter_name(params) -> str:
    first, last = params.get("first_name", "").strip(), params.get("last_name", "").strip()
    return f"{first} {last}".strip() if (first + last).isascii() else f"{last}{first}"


def description(params) -> str:
    text = params.get("description", "").strip()
    url = params.get("media_url", "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise Problem(400, f"media_url: {url!r} is not an http(s) URL") from None
        text = f"{text}\n图片：{url}".strip()
    if len(text) > MAX_DESCRIPTION:
        raise Problem(400, f"description: at most {MAX_DESCRIPTION} characters")
    return text


def throttle(key: ApiKey) -> None:
    """Optional ceiling per key and hour, counted on the cases themselves (no cache needed)."""
    limit = getattr(settings, "YIWANG_OPEN311_REPORTS_PER_HOUR", 600)
    recent = Case.objects.filter(external_source=f"open311:{key.pk}", reported_at__gte=timezone.now() - timedelta(hours=1))
    if recent.count() >= limit:
        raise Problem(429, f"api_key: more than {limit} requests in the last hour; try again later")


def wants_public(params) -> bool:
    """`public=true`: the reporter chose to have the request shown (after moderation). Default private."""
    value = params.get("public", "").strip().lower()
    if value not in ("", "true", "false", "1", "0"):
        raise Problem(400, "public: true or false")
    return value in ("true", "1")


def create(request, fmt, params):
    key = ApiKey.find(params.get("api_key", "").strip())
    if key is None:
        raise Problem(403, "api_key: missing or not valid; ask the district for a key")
    throttle(key)
    service_code = params.get("service_code", "").strip()
    if not service_code:
        raise Problem(400, "service_code: required")
    matter = public_matter(service_code)
    phone = params.get("phone", "").strip()
    if len(phone) > 32:
        raise Problem(400, "phone: at most 32 characters")
    lon, lat, grid = location(params)
    case = report_case(Report(
        channel=Channel.OPEN311, matter=matter, description=description(params), lon=lon, lat=lat, grid=grid,
        address=params.get("address_string", "").strip(), reporter_name=reporter_name(params), reporter_phone=phone,
        attributes=attribute_answers(params, matter), photos=request.FILES.getlist("media"), external_source=f"open311:{key.pk}",
        publish=wants_public(params),
    ), acting_user=None).case
    return respond([{"service_request_id": case.number, "service_notice": notice(case), "account_id": None}], fmt, "service_requests")


@endpoint("GET", "POST")
def service_requests(request, fmt):
    params = parameters(request)
    if request.method == "POST":
        return create(request, fmt, params)
    return respond(search(request, params), fmt, "service_requests")


@endpoint("GET")
def service_request(request, fmt, number):
    found = [record(request, case) for case in with_details(public_cases().filter(number=number))]
    if not found:
        raise Problem(404, f"service_request_id {number!r} is not known here")
    return respond(found, fmt, "service_requests")


@endpoint("GET")
def token(request, fmt, token):
    # The id only, never the content: a client resolves its own request, public or not.
    case = Case.objects.filter(number=token, channel=Channel.OPEN311).first()
    if case is None:
        raise Problem(404, f"token {token!r} is not known here")
    return respond([{"service_request_id": case.number, "token": token}], fmt, "service_requests")


@endpoint("GET")
def updates(request, fmt):
    """FixMyStreet's servicerequestupdates: the staff's public timeline entries of published cases
    (never the resident's own report, rating or reopening)."""
    params = parameters(request)
    start, end = window(params)
    events = staff_events().filter(case__in=public_cases().values("pk"), at__gte=start, at__lte=end)
    numbers = listed(params.get("service_request_id"), "service_request_id")
    if numbers:
        events = events.filter(case__number__in=numbers)
    photo = moderation.public_photos().filter(event=OuterRef("pk")).order_by("id").values("pk")[:1]
    events = events.select_related("case").annotate(photo=Subquery(photo)).order_by("at", "id")
    return respond([{
        "update_id": str(event.pk),
        "service_request_id": event.case.number,
        "status": "open" if event.to_status in OPEN_STATUSES else "closed",
        "updated_datetime": iso(event.at),
        "description": publishable_note(event.note, case=event.case) or None,
        "media_url": media_url(request, event.photo),
    } for event in page(events, params)], fmt, "service_requests_updates")


def media(request, pk: int):
    """A released photo's public copy (redacted, re-encoded): nothing else of a case's photos is public."""
    photo = moderation.public_photos().filter(case__in=public_cases().values("pk"), pk=pk).first()
    if photo is None:
        return errors(404, f"no public photo {pk}", "json")
    response = FileResponse(photo.public_image.open("rb"), content_type=mimetypes.guess_type(photo.public_image.name)[0] or "image/jpeg")
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
