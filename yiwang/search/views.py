"""The staff search page (`/search/?q=`), reached from the box in the page header."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.crypto import get_random_string

from yiwang.accounts.addresses import client_address
from yiwang.core.pages import staff_required

from . import services
from .query import MAX_LENGTH, parse
from .selectors import LIMIT


# The boxes post their query, which is kept in the session and shown at /search/?t=<token>: an ID
# number or a phone typed into a search box must not end up in a URL (access logs, browser history,
# the referrer of the next page). A plain ?q= still works for links and bookmarks of names.
KEPT_QUERIES = 10


def _kept(request) -> dict:
    return request.session.get("search_queries", {})


@staff_required  # residents have nothing to search here
def search_page(request):
    if request.method == "POST":
        token = get_random_string(12)
        kept = dict(list(_kept(request).items())[-(KEPT_QUERIES - 1):])
        kept[token] = str(request.POST.get("q", ""))[:MAX_LENGTH * 2]
        request.session["search_queries"] = kept
        return redirect(f"{request.path}?t={token}")
    raw = _kept(request).get(request.GET.get("t", ""), "") if "t" in request.GET else request.GET.get("q", "")
    query = parse(raw)
    groups = services.run_search(user=request.user, query=query, remote_addr=client_address(request))
    user = request.user
    return render(request, "search/results.html", {
        "query": query, "groups": groups, "limit": LIMIT, "max_length": MAX_LENGTH,
        "total": sum(g.count for g in groups),
        # Places and buildings have no page of their own outside the admin; link there only for those who may use it.
        "admin_places": user.is_staff and user.has_perm("registry.view_place"),
        "admin_buildings": user.is_staff and user.has_perm("registry.view_building"),
    })
