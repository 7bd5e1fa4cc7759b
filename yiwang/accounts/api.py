from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from .auth import ActiveSession
from yiwang.api.params import Moment

from . import services
from .models import ApiToken

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    role: str
    role_label: str
    scope_code: str | None
    scope_name: str | None
    unit: str


@router.get("/me", response=MeOut)
def me(request):
    user = request.auth
    region = user.scope_region
    return MeOut(username=user.username, role=user.role, role_label=user.get_role_display(),
                 scope_code=region.code if region else None, scope_name=region.name if region else None, unit=user.unit)


class TokenIn(Schema):
    name: str
    expires_at: Moment | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class IssuedTokenOut(TokenOut):
    key: str


@router.get("/tokens", response=list[TokenOut])
def list_tokens(request):
    """The caller's own tokens."""
    return list(ApiToken.objects.filter(user=request.auth))


@router.post("/tokens", response={201: IssuedTokenOut}, auth=[ActiveSession()])
def create_token(request, payload: TokenIn):
    """Issue a token; only from a logged-in session, so a leaked token cannot mint others."""
    token, key = services.issue_token(user=request.auth, name=payload.name, expires_at=payload.expires_at, acting_user=request.auth)
    return Status(201, IssuedTokenOut(**TokenOut.from_orm(token).dict(), key=key))


@router.delete("/tokens/{token_id}", response=TokenOut)
def revoke_token(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.auth)
    return services.revoke_token(token=token, acting_user=request.auth)
