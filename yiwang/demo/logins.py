"""Demo accounts: one per role, with known passwords printed at the end of `yiwang demo`."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from yiwang.accounts import twofactor
from yiwang.accounts.models import User
from yiwang.core.scope import Role
from yiwang.forces.models import ForceMember
from yiwang.regions.models import Region

DEMO_PASSWORD = "Yiwang@2026"
# The demo accounts whose role needs a second factor (YIWANG_2FA_ROLES) are bound to this TOTP secret,
# printed beside the password: add it to an authenticator app (or `oathtool --totp -b <secret>`).
DEMO_TOTP_SECRET = "YIWANGDEMOTOTPSECRETYIWANGDEMO22"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope_code: str | None
    label: str
    unit: str = ""
    superuser: bool = False


# The two grid workers look after neighbouring grids of 永先社区, so cross-grid rules can be tried.
GRID_WORKER_GRIDS = ("500154003001001", "500154003001002")
DEMO_LOGINS = [
    DemoLogin("admin", Role.DISTRICT, "500154", "超级管理员", superuser=True),
    DemoLogin("district", Role.DISTRICT, "500154", "开州区指挥中心", unit="开州区基层治理指挥中心"),
    DemoLogin("street", Role.STREET, "500154003000", "云枫街道指挥中心", unit="云枫街道基层治理指挥中心"),
    DemoLogin("street_b", Role.STREET, "500154003000", "云枫街道指挥中心（板块B角）", unit="云枫街道基层治理指挥中心"),
    DemoLogin("community", Role.COMMUNITY, "500154003001", "永先社区", unit="永先社区居民委员会"),
    DemoLogin("gridworker1", Role.GRID_WORKER, GRID_WORKER_GRIDS[0], "永先社区第1网格网格员", unit="永先社区居民委员会"),
    DemoLogin("gridworker2", Role.GRID_WORKER, GRID_WORKER_GRIDS[1], "永先社区第2网格网格员", unit="永先社区居民委员会"),
    DemoLogin("department", Role.DEPARTMENT, "500154", "城管执法局", unit="城管执法局"),
    DemoLogin("department_b", Role.DEPARTMENT, "500154", "城管执法局（窗口B角）", unit="城管执法局"),
    DemoLogin("resident", Role.RESIDENT, None, "居民"),
    DemoLogin("partymember", Role.RESIDENT, None, "在职党员（双报到）"),
]
DEMO_USERNAMES = [login.username for login in DEMO_LOGINS]


@dataclass(frozen=True)
class LoginRow:
    username: str
    role: str
    scope: str
    password: str
    totp: str = ""  # the TOTP secret, for accounts that need a second factor


def _resident_person(username: str):
    from yiwang.party.models import PartyMember
    from yiwang.registry.models import Person

    people = (Person.objects.filter(region__path__contains=f"/{GRID_WORKER_GRIDS[0]}/", household__house__isnull=False,
                                    birth_date__isnull=False, account__isnull=True)
              .order_by("pk"))
    if username != "partymember":
        return people.filter(party_membership__isnull=True).first()
    # In-service members of the grid first, then of its community (永先).
    members = Person.objects.filter(region__path__contains=f"/{GRID_WORKER_GRIDS[0][:12]}/", birth_date__isnull=False,
                                    account__isnull=True, party_membership__isnull=False).order_by("pk")
    person = (people.filter(party_membership__in_service=True).first() or members.filter(party_membership__in_service=True).first())
    if person is None:
        # A small demo may have no in-service member there: make one, so dual check-in can be tried.
        person = members.first()
        if person is not None:
            PartyMember.objects.filter(person=person).update(in_service=True, work_unit="开州区人民医院")
    return person


def create_logins(*, grid_workers: dict[str, ForceMember]) -> list[LoginRow]:
    """Create or refresh the demo accounts; an existing account of the same name is taken over."""
    # One hash for the shared password: hashing is deliberately slow and these are public anyway.
    hashed = make_password(DEMO_PASSWORD)
    regions = Region.objects.in_bulk([login.scope_code for login in DEMO_LOGINS if login.scope_code], field_name="code")
    rows = []
    for login in DEMO_LOGINS:
        user = User.objects.filter(username=login.username).first() or User(username=login.username)
        user.role = login.role
        user.scope_region = regions[login.scope_code] if login.scope_code else None
        user.unit = login.unit
        user.first_name = login.label
        user.is_superuser = login.superuser
        # Staff status of the others follows their role (User.save).
        user.is_staff = login.superuser
        user.is_active = True
        user.password = hashed
        worker = grid_workers.get(login.scope_code) if login.role == Role.GRID_WORKER else None
        if worker is not None:
            user.first_name = worker.name
        if login.role == Role.RESIDENT:
            # Residents act as themselves (wishes, votes, points): each demo resident is someone
            # registered in 永先's first grid; the party-member login is an in-service member there.
            user.person = _resident_person(login.username)
        user.save()
        if worker is not None:
            worker.user = user
            worker.save(update_fields=["user"])
        if twofactor.required_for(user):
            twofactor.enrol_known_secret(user=user, secret_b32=DEMO_TOTP_SECRET)
        scope = f"{user.scope_region.name}({user.scope_region.code})" if user.scope_region else "-"
        role = "超级管理员" if login.superuser else Role(login.role).label
        rows.append(LoginRow(username=login.username, role=role, scope=scope, password=DEMO_PASSWORD,
                             totp=DEMO_TOTP_SECRET if twofactor.required_for(user) else ""))
    return rows


def existing_logins() -> list[LoginRow]:
    """The demo accounts as they are now, for `make demo` on an already loaded database. The
    password is shown only while it is still the demo one (the accounts share one hash)."""
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES).select_related("scope_region")}
    still_demo: dict[str, bool] = {}
    rows = []
    for login in DEMO_LOGINS:
        user = users.get(login.username)
        if user is None:
            continue
        if user.password not in still_demo:
            still_demo[user.password] = user.check_password(DEMO_PASSWORD)
        scope = f"{user.scope_region.name}({user.scope_region.code})" if user.scope_region else "-"
        role = "超级管理员" if user.is_superuser else Role(user.role).label
        rows.append(LoginRow(username=user.username, role=role, scope=scope,
                             password=DEMO_PASSWORD if still_demo[user.password] else "（已修改 changed）",
                             totp=DEMO_TOTP_SECRET if twofactor.has_secret(user, DEMO_TOTP_SECRET) else ""))
    return rows
