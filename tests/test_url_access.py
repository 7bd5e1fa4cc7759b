"""Every URL of the project, classified once, and tried from outside its scope.

The pages (Django's URL resolver) are in `PAGES`, the API's writes (every operation of the ninja
API that is not a GET, with its method) in `API_WRITES`; the API's reads are classified in
tests/test_scope.py (`LIST_ENDPOINTS`, `DETAIL_ENDPOINTS`, `SEPARATELY_TESTED`), which runs each
as a grid worker against the neighbouring grid. The admin's URLs are all made by the admin site,
which asks for a staff account before anything else. A URL in none of these fails
`test_every_url_is_classified`, and so does a table entry whose URL no longer exists.

For each classified URL the tests then try it as a role out of scope: an anonymous visitor, a
resident without a registry row, and, for an object, the grid worker of grid A against an object
made in the neighbouring grid B (`factories.for_model`). Reads must answer 404, 403 or a
redirect to the login page (a list open to the account must not show grid B's row); writes the
same (or 401, 405, 409, 422 from the API, whose bodies are filled from the OpenAPI schema so that
they pass validation and reach the scope check), and must change no row: neither the object nor
the count of any table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from tests import factories
from tests.test_scope import DETAIL_ENDPOINTS, LIST_ENDPOINTS, SEPARATELY_TESTED

PUBLIC = "public"  # anyone, no account: residents' pages, Open311, tracking, login
ACCOUNT = "account"  # any logged-in account, about itself (its password, its notifications, a resident's own page)
STAFF = "staff"  # staff of some role, no object in the path: forms, indexes; residents are refused
LIST = "list"  # any account may open it, rows scoped: the neighbouring grid's row (`model`) must not show
DIRECTORY = "directory"  # shared reference data any staff may read (a department serves the district); its figures are scoped
SCOPED = "scoped"  # an object in the path: only inside its owner's scope


@dataclass(frozen=True)
class Url:
    kind: str
    model: str | None = None  # "app_label.Model" of the object in the path (SCOPED)
    args: dict = field(default_factory=dict)  # fixed values of the other path parameters
    make: Callable | None = None  # builds (object, {parameter: value}) when the factory is not enough
    # A residents' door that refuses by sending back to its own page with a message (writes still change nothing).
    redirect_ok: bool = False


def _worker_b_user(ctx):
    from yiwang.accounts.models import User

    worker = User.objects.create_user(username="worker_b2", role="grid_worker", scope_region=ctx.tree.grid_b)
    return worker, {"pk": worker.pk}


def _property_company(ctx):
    from yiwang.registry.models import Place

    place = Place.objects.create(region=ctx.tree.micro_b1, name="物业公司乙", kind="property_company")
    return place, {"pk": place.pk}


def _question(ctx):
    question = factories.for_model(apps.get_model("votes.Question"))(ctx.tree.micro_b1)
    return question, {"pk": question.ballot_id, "question_id": question.pk}


def _export_job(ctx):
    from yiwang.exports.models import ExportJob

    job = ExportJob.objects.create(kind="persons", title="人口导出", created_by=ctx.users["worker_b"], role="grid_worker",
                                   scope_path=ctx.tree.grid_b.path, created_at=timezone.now())
    return job, {"pk": job.pk}


def _import_job(ctx):
    from yiwang.imports.models import ImportJob

    job = ImportJob.objects.create(filename="事件.csv", region=ctx.tree.grid_b, created_by=ctx.users["worker_b"], created_at=timezone.now())
    return job, {"pk": job.pk}


def _simulation_run(ctx):
    from yiwang.simulator.models import SimulationRun

    run = SimulationRun.objects.create(kind="scenario", region=ctx.tree.other_street, weeks=4, created_at=timezone.now())
    return run, {"pk": run.pk}


def _notification(ctx):
    from yiwang.notify.models import Notification

    case = factories.case(ctx.tree.micro_b1)
    note = Notification.objects.create(user=ctx.users["worker_b"], case=case, kind="assigned", text="新事件")
    return note, {"pk": note.pk}


def _grid_b_assignment(ctx):
    assignment = factories.for_model(apps.get_model("forces.Assignment"))(ctx.tree.grid_b)
    return assignment, {"code": ctx.tree.grid_b.code, "pk": assignment.pk}


def _grid_b_shift(ctx):
    shift = factories.for_model(apps.get_model("forces.DutyShift"))(ctx.tree.grid_b)
    return shift, {"code": ctx.tree.grid_b.code, "pk": shift.pk}


def _patrol_photo(ctx):
    from yiwang.gridwork.models import PatrolLog, RecordPhoto

    patrol = factories.for_model(PatrolLog)(ctx.tree.micro_b1)
    photo = RecordPhoto.objects.create(patrol=patrol, image="gridwork/test.jpg", content_type="image/jpeg", size=1)
    return photo, {"pk": photo.pk}


def _grid_b(ctx):
    return ctx.tree.grid_b, {"code": ctx.tree.grid_b.code}


def O(model: str, **args) -> Url:  # noqa: N802 - reads as a table
    return Url(SCOPED, model=model, args=args)


def R(model: str, **args) -> Url:  # noqa: N802 - a residents' door on an object, refusing by redirect
    return Url(SCOPED, model=model, args=args, redirect_ok=True)


PAGES: dict[str, Url] = {
    # Accounts: one's own password, second factor and logins.
    "account/two-factor/verify/": Url(ACCOUNT), "account/two-factor/enrol/": Url(ACCOUNT),
    "account/two-factor/recovery-codes/": Url(ACCOUNT), "account/two-factor/off/": Url(ACCOUNT), "account/security/": Url(ACCOUNT),
    "account/password/": Url(ACCOUNT), "account/password/done/": Url(ACCOUNT), "account/logins/": Url(ACCOUNT),
    "account/logins/<str:action>/": Url(ACCOUNT, args={"action": "sign-out-others"}),
    # Local administration: a district, street or community admin's own people, forces, rosters and audit log.
    "account/people/": Url(STAFF), "account/people/new/": Url(STAFF), "account/audit/": Url(STAFF),
    "account/people/<int:pk>/": Url(SCOPED, make=_worker_b_user), "account/people/<int:pk>/active/": Url(SCOPED, make=_worker_b_user),
    "account/people/<int:pk>/reset-password/": Url(SCOPED, make=_worker_b_user),
    "forces/": Url(STAFF), "forces/<str:code>/": Url(SCOPED, make=_grid_b), "forces/<str:code>/members/": Url(SCOPED, make=_grid_b),
    "forces/<str:code>/assignments/": Url(SCOPED, make=_grid_b), "forces/<str:code>/shifts/": Url(SCOPED, make=_grid_b),
    "forces/<str:code>/assignments/<int:pk>/remove/": Url(SCOPED, make=_grid_b_assignment),
    "forces/<str:code>/shifts/<int:pk>/remove/": Url(SCOPED, make=_grid_b_shift),
    "i18n/setlang/": Url(PUBLIC), "jsi18n/": Url(PUBLIC), "healthz": Url(PUBLIC), "manifest.webmanifest": Url(PUBLIC), "sw.js": Url(PUBLIC), "login/": Url(PUBLIC), "logout/": Url(PUBLIC),
    "": Url(ACCOUNT),
    "photos/<int:pk>/": O("cases.CasePhoto"),
    # Open311: public by design, but an unpublished case and its photos are not found.
    "open311/v2/discovery.<str:fmt>": Url(PUBLIC, args={"fmt": "json"}),
    "open311/v2/services.<str:fmt>": Url(PUBLIC, args={"fmt": "json"}),
    "open311/v2/services/<str:service_code>.<str:fmt>": Url(PUBLIC, args={"service_code": "event-06010", "fmt": "json"}),
    "open311/v2/requests.<str:fmt>": Url(PUBLIC, args={"fmt": "json"}),
    "open311/v2/requests/<str:number>.<str:fmt>": O("cases.Case", fmt="json"),
    "open311/v2/tokens/<str:token>.<str:fmt>": Url(PUBLIC, args={"token": "nope", "fmt": "json"}),
    "open311/v2/servicerequestupdates.<str:fmt>": Url(PUBLIC, args={"fmt": "json"}),
    "open311/v2/media/<int:pk>": O("cases.CasePhoto"),
    "open311/v2/^(?P<rest>.*)$": Url(PUBLIC, args={"rest": "nothing-here"}),
    # Duty lists.
    "duties/": Url(LIST, model="duties.DutyList"), "duties/new/": Url(STAFF),
    "duties/<int:list_id>/": O("duties.DutyList"), "duties/<int:list_id>/versions/": O("duties.DutyList"),
    "duties/<int:list_id>/propose/": O("duties.DutyList"), "duties/<int:list_id>/import/": O("duties.DutyList"),
    "duties/<int:list_id>/diff/": O("duties.DutyList"),
    "duties/versions/<int:version_id>/": O("duties.DutyListVersion"),
    "duties/versions/<int:version_id>/<str:decision>/": O("duties.DutyListVersion", decision="approve"),
    # Linked leaders and units.
    "links/": Url(STAFF), "links/gaps/": Url(STAFF), "links/new/": Url(STAFF),
    "links/<int:pk>/": O("links.Link"), "links/<int:pk>/visit/": O("links.Link"), "links/<int:pk>/end/": O("links.Link"),
    "links/<int:pk>/roles/": O("links.Link"),
    # A/B roles.
    "ab/": Url(STAFF), "ab/desks/": Url(STAFF), "ab/leaves/<int:pk>/cancel": O("ab_roles.Leave"),
    # Activities and venues.
    "activities/": Url(STAFF), "activities/new/": Url(STAFF),
    "activities/<int:pk>/": O("activities.Activity"), "activities/<int:pk>/edit/": O("activities.Activity"),
    "activities/<int:pk>/do/<str:action>/": O("activities.Activity", action="publish"),
    "activities/registrations/<int:pk>/<str:action>/": O("activities.Registration", action="cancel"),
    "activities/manage/venues/": Url(STAFF), "activities/manage/venues/<int:pk>/": O("activities.Venue"),
    "activities/manage/slots/<int:pk>/": O("activities.RosterSlot"),
    "activities/public/": Url(PUBLIC), "activities/public/<int:pk>/": Url(PUBLIC, model="activities.Activity"),
    "activities/public/<int:pk>/mine/": Url(PUBLIC, model="activities.Activity"),  # by phone and code
    "activities/venues/": Url(PUBLIC), "activities/venues/<int:pk>/timetable/": Url(PUBLIC, model="activities.Venue"),
    "activities/photos/<int:pk>/": O("activities.ActivityPhoto"), "activities/photos/<int:pk>/thumb/": O("activities.ActivityPhoto"),
    "activities/photos/<int:pk>/review/<str:action>/": O("activities.ActivityPhoto", action="approve"),
    # Grid work.
    "gridwork/": Url(STAFF), "gridwork/mine/": Url(STAFF), "gridwork/care/": Url(STAFF), "gridwork/patrols/new/": Url(STAFF),
    "gridwork/patrols/<int:pk>/": O("gridwork.PatrolLog"), "gridwork/visits/new/": Url(STAFF),
    "gridwork/visits/<int:pk>/": O("gridwork.HomeVisit"), "gridwork/plans/": Url(STAFF),
    "gridwork/plans/<int:pk>/end/": O("gridwork.CarePlan"), "gridwork/photos/<int:pk>/": Url(SCOPED, make=_patrol_photo),
    # Campaigns.
    "campaigns/": Url(LIST, model="campaigns.Campaign"), "campaigns/new/": Url(STAFF), "campaigns/mine/": Url(LIST, model="campaigns.Campaign"),
    "campaigns/<int:pk>/": O("campaigns.Campaign"), "campaigns/<int:pk>/publish/": O("campaigns.Campaign"),
    "campaigns/<int:pk>/close/": O("campaigns.Campaign"), "campaigns/targets/<int:pk>/check/": O("campaigns.Target"),
    "campaigns/checks/<int:pk>/photo/": O("campaigns.TargetCheck"),
    # Micro-wishes.
    "wishes/": Url(STAFF), "wishes/new/": Url(STAFF), "wishes/counts/": Url(STAFF),
    "wishes/<int:pk>/": O("wishes.Wish"), "wishes/<int:pk>/do/<str:action>/": O("wishes.Wish", action="claim"),
    "wishes/public/": Url(PUBLIC), "wishes/public/post/": Url(ACCOUNT),
    "wishes/public/<int:pk>/<str:action>/": O("wishes.Wish", action="claim"),
    "wishes/photos/<int:pk>/": O("wishes.WishPhoto"),
    # Volunteers (a resident opening the staff index is sent to their own page).
    "volunteers/": Url(STAFF, redirect_ok=True), "volunteers/mine/": Url(ACCOUNT), "volunteers/mine/register/": Url(ACCOUNT),
    "volunteers/mine/registrations/<int:pk>/withdraw/": O("volunteers.Registration"),
    "volunteers/mine/volunteer/": Url(ACCOUNT), "volunteers/mine/tasks/<int:pk>/claim/": O("volunteers.ServiceTask"),
    "volunteers/mine/claims/<int:pk>/withdraw/": O("volunteers.TaskClaim"),
    "volunteers/registrations/<int:pk>/confirm/": O("volunteers.Registration"),
    "volunteers/registrations/<int:pk>/reject/": O("volunteers.Registration"),
    "volunteers/registrations/<int:pk>/evaluate/": O("volunteers.Registration"),
    "volunteers/posts/new/": Url(STAFF), "volunteers/posts/<int:pk>/toggle/": O("volunteers.ServicePost"),
    "volunteers/tasks/new/": Url(STAFF), "volunteers/tasks/<int:pk>/": O("volunteers.ServiceTask"),
    "volunteers/evaluations/": Url(STAFF), "volunteers/evaluations/<int:pk>.docx": O("volunteers.Evaluation"),
    # Points banks.
    "pointsbank/": Url(STAFF), "pointsbank/people/<int:pk>/": O("registry.Person"),
    "pointsbank/people/<int:pk>/grant/": O("registry.Person"), "pointsbank/people/<int:pk>/conduct/": O("registry.Person"),
    "pointsbank/people/<int:pk>/redeem/": O("registry.Person"),
    "pointsbank/entries/<int:pk>/reverse/": O("pointsbank.LedgerEntry"), "pointsbank/entries/<int:pk>/photo/": O("pointsbank.LedgerEntry"),
    "pointsbank/rewards/": Url(STAFF), "pointsbank/rewards/<int:pk>/stock/": O("pointsbank.Reward"),
    "pointsbank/redemptions/": Url(STAFF), "pointsbank/redemptions/<int:pk>/<str:action>/": O("pointsbank.Redemption", action="fulfil"),
    "pointsbank/boards/": Url(STAFF), "pointsbank/boards/<int:pk>/": O("pointsbank.Board"), "pointsbank/rules/": Url(STAFF),
    "pointsbank/public/": Url(PUBLIC),
    "pointsbank/public/rewards/<int:pk>/redeem/": R("pointsbank.Reward"),
    "pointsbank/public/redemptions/<int:pk>/cancel/": R("pointsbank.Redemption"),
    # Deliberation.
    "deliberation/": Url(STAFF), "deliberation/topics/new/": Url(STAFF),
    "deliberation/topics/<int:pk>/": O("deliberation.Topic"),
    "deliberation/topics/<int:pk>/do/<str:action>/": O("deliberation.Topic", action="accept"),
    "deliberation/meetings/": Url(STAFF), "deliberation/meetings/<int:pk>/": O("deliberation.Meeting"),
    "deliberation/meetings/<int:pk>/do/<str:action>/": O("deliberation.Meeting", action="minutes"),
    "deliberation/public/": Url(PUBLIC), "deliberation/public/<int:pk>/": Url(PUBLIC, model="deliberation.Topic"),
    "deliberation/public/<int:pk>/evaluate/": O("deliberation.Topic"),
    # Votes.
    "votes/": Url(STAFF), "votes/new/": Url(STAFF), "votes/grid-projects/": Url(STAFF),
    "votes/<int:pk>/": O("votes.Ballot"), "votes/<int:pk>/edit/": O("votes.Ballot"), "votes/<int:pk>/questions/": O("votes.Ballot"),
    "votes/<int:pk>/questions/<int:question_id>/delete/": Url(SCOPED, make=_question),
    "votes/<int:pk>/export.xlsx": O("votes.Ballot"), "votes/<int:pk>/<str:action>/": O("votes.Ballot", action="open"),
    "votes/public/": Url(PUBLIC), "votes/public/<int:pk>/": R("votes.Ballot"),
    # Party alliances.
    "alliance/": Url(STAFF), "alliance/<int:pk>/": O("alliance.Alliance"), "alliance/<int:pk>/members/": O("alliance.Alliance"),
    "alliance/<int:pk>/needs/": O("alliance.Alliance"), "alliance/<int:pk>/resources/": O("alliance.Alliance"),
    "alliance/<int:pk>/meetings/new/": O("alliance.Alliance"),
    "alliance/needs/<int:pk>/": O("alliance.AllianceNeed"), "alliance/needs/<int:pk>/close/": O("alliance.AllianceNeed"),
    "alliance/projects/<int:pk>/": O("alliance.AllianceProject"),
    "alliance/projects/<int:pk>/<str:action>/": O("alliance.AllianceProject", action="cancel"),
    "alliance/milestones/<int:pk>/done/": O("alliance.AllianceMilestone"),
    "alliance/meetings/<int:pk>/": O("alliance.AllianceMeeting"),
    "alliance/units/<int:pk>/": O("alliance.AllianceMember"), "alliance/units/<int:pk>/leave/": O("alliance.AllianceMember"),
    # Assessment.
    "assessment/": Url(STAFF), "assessment/workers/": Url(STAFF),
    "assessment/workers/<int:pk>/": Url(SCOPED, make=_worker_b_user), "assessment/workers/<int:pk>/review/": Url(SCOPED, make=_worker_b_user),
    "assessment/departments/": Url(STAFF), "assessment/departments/<int:pk>/": Url(DIRECTORY, model="matters.Department"),
    "assessment/property/": Url(STAFF), "assessment/property/<int:pk>/": Url(SCOPED, make=_property_company),
    "assessment/honours/": Url(STAFF), "assessment/honours/<int:pk>/": O("assessment.HonourRound"),
    # Command center, analysis, reviews, exports.
    "command/": Url(STAFF), "analysis/": Url(STAFF),
    "reviews/": Url(STAFF), "reviews/daily/": Url(STAFF), "reviews/daily/xlsx/": Url(STAFF), "reviews/weekly/request/": Url(STAFF),
    "reviews/weekly/<int:pk>/": O("reviews.WeeklyReport"), "reviews/weekly/<int:pk>/xlsx/": O("reviews.WeeklyReport"),
    "reviews/weekly/<int:pk>/pdf/": O("reviews.WeeklyReport"), "reviews/weekly/<int:pk>/view/": O("reviews.WeeklyReport"),
    "exports/": Url(LIST, make=_export_job), "exports/<int:pk>/": Url(SCOPED, make=_export_job), "exports/<int:pk>/status": Url(SCOPED, make=_export_job),
    "exports/<int:pk>/download": Url(SCOPED, make=_export_job), "exports/<int:pk>/retry": Url(SCOPED, make=_export_job),
    "simulator/": Url(STAFF), "simulator/<int:pk>/": Url(SCOPED, make=_simulation_run),
    # The grid re-division advisor: street staff and above; a proposal within its community's scope.
    "advisor/": Url(STAFF), "advisor/<str:code>/": O("regions.Region"), "advisor/<str:code>/propose/": O("regions.Region"),
    "advisor/proposals/<int:proposal_id>/": O("advisor.DivisionProposal"),
    "advisor/proposals/<int:proposal_id>/<str:decision>/": O("advisor.DivisionProposal", decision="approve"),
    "imports/cases/": Url(STAFF), "imports/<int:pk>/": Url(SCOPED, make=_import_job), "imports/<int:pk>/start": Url(SCOPED, make=_import_job),
    # The map, the registry, party coverage.
    "map/": Url(STAFF), "map/<str:code>/": O("regions.Region"), "map/<str:code>/panel": O("regions.Region"),
    "persons/": Url(LIST, model="registry.Person"), "registry/export/<str:kind>.xlsx": Url(STAFF, args={"kind": "persons"}), "registry/import/": Url(STAFF),
    "persons/<int:person_id>/reveal": O("registry.Person"), "party/coverage/": Url(LIST, model="party.PartyOrganization"),
    # The staff search box (its results are each kind's own restrict).
    "search/": Url(STAFF),
    # Cases: residents' doors, then the staff pages.
    "report/": Url(PUBLIC), "report/grids.geojson": Url(PUBLIC), "report/questions": Url(PUBLIC),
    "report/done/": Url(PUBLIC), "report/services/": Url(PUBLIC), "report/services/<str:code>/": Url(PUBLIC, args={"code": "F0101"}),
    "report/mine/": Url(ACCOUNT),
    "track/": Url(PUBLIC), "track/<str:number>/": Url(PUBLIC, model="cases.Case"),
    "track/<str:number>/<str:what>": Url(PUBLIC, model="cases.Case", args={"what": "rate"}),
    "cases/": Url(STAFF), "cases/report/": Url(STAFF), "cases/new/": Url(STAFF), "cases/inbox/": Url(STAFF),
    "cases/grids.geojson": Url(STAFF), "cases/duplicates": Url(STAFF), "cases/report/done/<str:number>/": O("cases.Case"),
    "cases/notifications/<int:pk>/open": Url(SCOPED, make=_notification), "cases/notifications/read-all": Url(ACCOUNT),
    "cases/summons/": Url(LIST, model="cases.Summons"),
    "cases/summons/parts/<int:part_id>/<str:step>": O("cases.SummonsPart", step="check-in"),
    "cases/moderation/": Url(STAFF), "cases/moderation/<str:number>/": O("cases.Case"),
    "cases/moderation/<str:number>/<str:action>": O("cases.Case", action="publish"),
    "cases/<str:number>/": O("cases.Case"), "cases/<str:number>/act/<str:action>/": O("cases.Case", action="accept"),
    "cases/<str:number>/summon": O("cases.Case"),
    # Supervision orders: the command center's list and its unit form, an order's page and its steps, the case page's form.
    "cases/supervision/": Url(STAFF), "cases/supervision/new/": Url(STAFF),
    "cases/supervision/<int:pk>/": O("cases.SupervisionOrder"),
    "cases/supervision/<int:pk>/<str:step>": O("cases.SupervisionOrder", step="answer"),
    "cases/<str:number>/supervise": O("cases.Case"),
}

# URLs under admin/ that are not the admin site's own views, each with its class.
ADMIN_OWN = {"admin/login/": PUBLIC}  # a redirect to the site's login (with its second factor)

# Every write of the API: the model of the object in its path (made in grid B), or None for a
# collection (a create: tried without an account and as a resident), or OWN for what any account
# does for itself (tried without an account).
OWN = "own"
API_WRITES: dict[tuple[str, str], str | None] = {
    ("POST", "/api/tokens"): OWN, ("DELETE", "/api/tokens/{token_id}"): None,
    ("POST", "/api/registry/persons/{person_id}/reveal"): "registry.Person",
    ("POST", "/api/registry/grants"): None, ("POST", "/api/registry/grants/{grant_id}/revoke"): "registry.PersonAccessGrant",
    ("POST", "/api/cases"): None, ("POST", "/api/cases/{number}/actions/{action}"): "cases.Case",
    ("POST", "/api/cases/{number}/summons"): "cases.Case", ("POST", "/api/cases/summons/parts/{part_id}/{step}"): "cases.SummonsPart",
    ("POST", "/api/devices/{source}"): None,
    ("POST", "/api/supervision/orders"): None, ("POST", "/api/supervision/orders/{order_id}/answer"): "cases.SupervisionOrder",
    ("POST", "/api/supervision/orders/{order_id}/close"): "cases.SupervisionOrder",
    ("POST", "/api/supervision/orders/{order_id}/return"): "cases.SupervisionOrder",
    ("POST", "/api/links"): None, ("POST", "/api/links/{link_id}/visits"): "links.Link", ("POST", "/api/links/{link_id}/end"): "links.Link",
    ("POST", "/api/ab/leaves"): None, ("POST", "/api/ab/leaves/{leave_id}/cancel"): "ab_roles.Leave",
    ("POST", "/api/activities/venues"): None, ("POST", "/api/activities/slots"): None,
    ("PATCH", "/api/activities/slots/{slot_id}"): "activities.RosterSlot", ("DELETE", "/api/activities/slots/{slot_id}"): "activities.RosterSlot",
    ("POST", "/api/activities"): None, ("PATCH", "/api/activities/{activity_id}"): "activities.Activity",
    ("POST", "/api/activities/{activity_id}/publish"): "activities.Activity", ("POST", "/api/activities/{activity_id}/cancel"): "activities.Activity",
    ("POST", "/api/activities/{activity_id}/finish"): "activities.Activity",
    ("POST", "/api/activities/{activity_id}/registrations"): "activities.Activity",
    ("POST", "/api/activities/registrations/{registration_id}/check-in"): "activities.Registration",
    ("POST", "/api/activities/registrations/{registration_id}/cancel"): "activities.Registration",
    ("POST", "/api/gridwork/patrols"): None, ("POST", "/api/gridwork/visits"): None, ("POST", "/api/gridwork/care/plans"): None,
    ("POST", "/api/gridwork/care/plans/{plan_id}/end"): "gridwork.CarePlan",
    ("POST", "/api/campaigns"): None, ("POST", "/api/campaigns/targets/{target_id}/assign"): "campaigns.Target",
    ("POST", "/api/campaigns/targets/{target_id}/check"): "campaigns.Target",
    ("POST", "/api/campaigns/{campaign_id}/publish"): "campaigns.Campaign", ("POST", "/api/campaigns/{campaign_id}/close"): "campaigns.Campaign",
    ("POST", "/api/wishes"): None, ("POST", "/api/wishes/{wish_id}/review"): "wishes.Wish", ("POST", "/api/wishes/{wish_id}/claim"): "wishes.Wish",
    ("POST", "/api/wishes/{wish_id}/release"): "wishes.Wish", ("POST", "/api/wishes/{wish_id}/fulfil"): "wishes.Wish",
    ("POST", "/api/wishes/{wish_id}/confirm"): "wishes.Wish", ("POST", "/api/wishes/{wish_id}/withdraw"): "wishes.Wish",
    ("POST", "/api/volunteers/posts"): None, ("POST", "/api/volunteers/registrations"): None,
    ("POST", "/api/volunteers/registrations/{registration_id}/confirm"): "volunteers.Registration",
    ("POST", "/api/volunteers/registrations/{registration_id}/reject"): "volunteers.Registration",
    ("POST", "/api/volunteers/registrations/{registration_id}/withdraw"): "volunteers.Registration",
    ("PUT", "/api/volunteers/registrations/{registration_id}/posts"): "volunteers.Registration",
    ("POST", "/api/volunteers/registrations/{registration_id}/evaluation"): "volunteers.Registration",
    ("POST", "/api/volunteers/volunteers"): None, ("POST", "/api/volunteers/tasks"): None,
    ("POST", "/api/volunteers/tasks/{task_id}/cancel"): "volunteers.ServiceTask",
    ("POST", "/api/volunteers/tasks/{task_id}/claim"): "volunteers.ServiceTask",
    ("POST", "/api/volunteers/tasks/{task_id}/complete"): "volunteers.ServiceTask",
    ("POST", "/api/volunteers/claims/{claim_id}/withdraw"): "volunteers.TaskClaim",
    ("POST", "/api/volunteers/evaluations/{evaluation_id}/docx"): "volunteers.Evaluation",
    ("POST", "/api/pointsbank/entries"): None, ("POST", "/api/pointsbank/entries/{entry_id}/reverse"): "pointsbank.LedgerEntry",
    ("POST", "/api/pointsbank/rewards/{reward_id}/redeem"): "pointsbank.Reward",
    ("POST", "/api/pointsbank/redemptions/{redemption_id}/fulfil"): "pointsbank.Redemption",
    ("POST", "/api/pointsbank/redemptions/{redemption_id}/cancel"): "pointsbank.Redemption",
    ("POST", "/api/deliberation/topics"): None,
    **{("POST", f"/api/deliberation/topics/{{topic_id}}/{step}"): "deliberation.Topic"
       for step in ("accept", "grid-discussion", "reject", "merge", "cases", "project", "progress", "complete", "close-evaluation", "evaluations")},
    ("POST", "/api/deliberation/meetings"): None,
    **{("POST", f"/api/deliberation/meetings/{{meeting_id}}/{step}"): "deliberation.Meeting" for step in ("attendees", "agenda", "minutes", "decisions")},
    ("POST", "/api/votes/ballots"): None,
    **{("POST", f"/api/votes/ballots/{{ballot_id}}/{step}"): "votes.Ballot" for step in ("questions", "open", "close", "publish", "votes")},
    ("POST", "/api/votes/grid-projects"): None,
    ("POST", "/api/alliance/alliances"): None,
    **{("POST", f"/api/alliance/alliances/{{alliance_id}}/{step}"): "alliance.Alliance" for step in ("members", "needs", "resources", "projects", "meetings")},
    ("POST", "/api/alliance/members/{member_id}/leave"): "alliance.AllianceMember",
    ("POST", "/api/alliance/needs/{need_id}/close"): "alliance.AllianceNeed",
    ("POST", "/api/alliance/projects/{project_id}/milestones"): "alliance.AllianceProject",
    ("POST", "/api/alliance/milestones/{milestone_id}/done"): "alliance.AllianceMilestone",
    ("POST", "/api/alliance/projects/{project_id}/progress"): "alliance.AllianceProject",
    ("POST", "/api/alliance/projects/{project_id}/cancel"): "alliance.AllianceProject",
    ("POST", "/api/assessment/rounds"): None, ("POST", "/api/assessment/rounds/{round_id}/nominations"): "assessment.HonourRound",
    ("POST", "/api/assessment/rounds/{round_id}/decide"): "assessment.HonourRound",
    ("POST", "/api/assessment/workers/{worker_id}/review"): "accounts.User",
    ("POST", "/api/command/cases/{number}/dispatch"): "cases.Case", ("POST", "/api/command/cases/{number}/summon"): "cases.Case",
    ("POST", "/api/reviews/weekly"): None, ("POST", "/api/exports"): None,
}
# Fixed values of path parameters that are not objects.
API_ARGS = {"action": "accept", "step": "check-in", "source": "no-such-platform"}
API_METHODS = ("get", "post", "put", "patch", "delete")


# Enumeration ---------------------------------------------------------------------------------------

def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _page_patterns() -> dict[str, object]:
    return {route: p for route, p in _walk(get_resolver().url_patterns) if not route.startswith(("admin/", "api/"))}


def _admin_patterns() -> dict[str, object]:
    return {route: p for route, p in _walk(get_resolver().url_patterns) if route.startswith("admin/")}


def _api_operations() -> set[tuple[str, str]]:
    from yiwang.routers import api

    return {(method.upper(), path.rstrip("/") or path) for path, ops in api.get_openapi_schema()["paths"].items() for method in ops
            if method in API_METHODS}


def _admin_view(callback) -> bool:
    """Made by the admin site: ModelAdmin's and AdminSite's own views carry it, and a model
    admin's extra views are wrapped by AdminSite.admin_view (a closure over the site)."""
    from django.contrib.admin import AdminSite, ModelAdmin

    while callback is not None:
        if hasattr(callback, "admin_site") or hasattr(callback, "model_admin"):
            return True
        if isinstance(getattr(callback, "__self__", None), (AdminSite, ModelAdmin)):
            return True
        if any(isinstance(cell.cell_contents, AdminSite) for cell in (getattr(callback, "__closure__", None) or ())):
            return True
        callback = getattr(callback, "__wrapped__", None)
    return False


def test_every_url_is_classified():
    pages = set(_page_patterns())
    assert not pages - set(PAGES), f"classify these pages in PAGES: {sorted(pages - set(PAGES))}"
    assert not set(PAGES) - pages, f"these PAGES entries match no URL any more: {sorted(set(PAGES) - pages)}"
    operations = _api_operations()
    reads = {path for method, path in operations if method == "GET"}
    read_tables = set(LIST_ENDPOINTS) | set(DETAIL_ENDPOINTS) | SEPARATELY_TESTED
    assert not reads - read_tables, f"classify these API reads in tests/test_scope.py: {sorted(reads - read_tables)}"
    writes = {op for op in operations if op[0] != "GET"}
    assert not writes - set(API_WRITES), f"classify these API writes in API_WRITES: {sorted(writes - set(API_WRITES))}"
    assert not set(API_WRITES) - writes, f"these API_WRITES entries match no operation any more: {sorted(set(API_WRITES) - writes)}"
    # The admin's URLs are the admin site's own: each goes through AdminSite.admin_view (staff only).
    foreign = [route for route, p in _admin_patterns().items() if not _admin_view(p.callback) and route not in ADMIN_OWN]
    assert not foreign, f"these admin/ URLs are not the admin site's: {foreign}"


# Trying them -------------------------------------------------------------------------------------------

@dataclass
class Ctx:
    tree: object
    users: dict


def _state(obj) -> tuple:
    """Every table's row count, and the object's row as stored."""
    counts = tuple(m._default_manager.count() for m in apps.get_models() if m._meta.managed and not m._meta.proxy)
    row = type(obj)._default_manager.filter(pk=obj.pk).values().first() if obj is not None else None
    return counts, json.dumps(row, default=str, sort_keys=True)


_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _object(ctx: Ctx, entry: Url):
    if entry.make is not None:
        return entry.make(ctx)
    if entry.model is None:
        return None, {}
    model = apps.get_model(entry.model)
    obj = factories.for_model(model)(ctx.tree.micro_b1)
    return obj, {}


def _value(obj, name: str):
    if name == "number":
        return obj.number
    if name == "code":
        return obj.code
    return obj.pk


def _page_url(route: str, entry: Url, obj, made: dict) -> str:
    if route.startswith("open311/v2/^"):
        return "/open311/v2/" + entry.args["rest"]

    def fill(match):
        name = match["name"]
        if name in made:
            return str(made[name])
        if name in entry.args:
            return str(entry.args[name])
        assert obj is not None, f"{route}: no value for <{name}>"
        return str(_value(obj, name))

    return "/" + _PARAM.sub(fill, route)


def _refused(response, *, redirect_ok: bool = False) -> bool:
    """Not found, forbidden, not allowed, or sent to a login page (or, for a residents' door that
    says so, back to its own page)."""
    if response.status_code in (401, 403, 404, 405):
        return True
    if response.status_code == 302 and redirect_ok:
        return True
    return response.status_code == 302 and response["Location"].split("?")[0] in (settings.LOGIN_URL, "/admin/login/")


def _describe(response) -> str:
    return f"{response.status_code} {response.get('Location', '')}".strip()


@pytest.fixture
def ctx(tree, users):
    return Ctx(tree, users)


def _outsiders(ctx: Ctx, kind: str) -> list:
    """Who must be refused: nobody logged in; a resident, except on their own pages; the grid
    worker of grid A, for an object of grid B."""
    who = [None]
    if kind in (STAFF, LIST, DIRECTORY, SCOPED):
        who.append(ctx.users["resident"])
    if kind in (LIST, SCOPED):
        who.append(ctx.users["worker_a"])
    return who


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(PAGES))
def test_page_refuses_outside_its_scope(client, ctx, route):
    entry = PAGES[route]
    obj, made = _object(ctx, entry)
    url = _page_url(route, entry, obj, made)
    if entry.kind == PUBLIC:
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        return
    for user in _outsiders(ctx, entry.kind):
        client.logout()
        if user is not None:
            client.force_login(user)
        name = getattr(user, "username", "anonymous")
        response = client.get(url)
        if entry.kind == LIST and user is not None and response.status_code == 200:
            # A list open to this account: the neighbouring grid's row is not on it.
            assert str(obj) not in response.content.decode(), f"GET {url} as {name} shows {obj} of grid B"
        else:
            assert _refused(response, redirect_ok=entry.redirect_ok), f"GET {url} as {name}: {_describe(response)}"
        before = _state(obj)
        response = client.post(url, {"note": "越权", "reason": "越权", "rating": "satisfied"})
        if entry.kind != LIST:
            assert _refused(response, redirect_ok=entry.redirect_ok), f"POST {url} as {name}: {_describe(response)}"
        assert _state(obj) == before, f"POST {url} as {name} changed rows"


def _schema():
    from yiwang.routers import api

    return api.get_openapi_schema()


def _placeholder(schema: dict, components: dict):
    """The smallest value of the schema's shape, so that a request passes the body's validation and
    reaches the scope check."""
    if "$ref" in schema:
        return _placeholder(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "allOf", "oneOf"):
        if key in schema:
            return _placeholder(schema[key][0], components)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: _placeholder(sub, components) for name, sub in schema.get("properties", {}).items() if name in schema.get("required", [])}
    return {"string": "x", "integer": 1, "number": 1, "boolean": False, "array": [], "null": None}.get(kind, "x")


def _api_body(method: str, path: str) -> dict:
    schema = _schema()
    operation = schema["paths"].get(path, schema["paths"].get(path + "/", {})).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema")
    return _placeholder(body, schema.get("components", {}).get("schemas", {})) if body else {}


def _api_object(ctx: Ctx, model: str | None):
    if model is None:
        return None
    if model == "accounts.User":
        return _worker_b_user(ctx)[0]
    return factories.for_model(apps.get_model(model))(ctx.tree.micro_b1)


def _api_url(path: str, obj) -> str:
    def fill(match):
        name = match[1]
        if name in API_ARGS:
            return API_ARGS[name]
        return str(_value(obj, name)) if obj is not None else "999999"

    return re.sub(r"\{(\w+)\}", fill, path)


@pytest.mark.django_db
@pytest.mark.parametrize("method, path", sorted(API_WRITES))
def test_api_write_refuses_outside_its_scope(client, ctx, method, path):
    model = API_WRITES[(method, path)]
    obj = _api_object(ctx, None if model == OWN else model)
    url = _api_url(path, obj)
    body = json.dumps(_api_body(method, path))
    who = [None] if model == OWN else [None, ctx.users["resident"]] + ([ctx.users["worker_a"]] if obj is not None else [])
    for user in who:
        client.logout()
        if user is not None:
            client.force_login(user)
        name = getattr(user, "username", "anonymous")
        before = _state(obj)
        response = client.generic(method, url, body, content_type="application/json")
        if user is None and path != "/api/devices/{source}":
            assert response.status_code == 401, f"{method} {url} without an account: {response.status_code}"
        assert response.status_code in (401, 403, 404, 405, 409, 422), f"{method} {url} as {name}: {response.status_code} {response.content[:200]!r}"
        assert _state(obj) == before, f"{method} {url} as {name} changed rows"


@pytest.mark.django_db
def test_admin_urls_send_outsiders_to_the_admin_login(client, users):
    """Each registered model's admin pages (list, add, change, delete, history) ask anonymous
    visitors and residents to log in as staff, and show nothing."""
    from django.contrib import admin
    from django.urls import reverse

    urls = ["/admin/"]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls += [reverse(f"admin:{info[0]}_{info[1]}_changelist"), reverse(f"admin:{info[0]}_{info[1]}_add")]
        urls += [reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[1]) for view in ("change", "delete", "history")]
    for user in (None, users["resident"]):
        client.logout()
        if user is not None:
            client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), f"GET {url}: {_describe(response)}"
            response = client.post(url, {})
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), f"POST {url}: {_describe(response)}"
