"""`{% site_menu as menu %}`: the links this user may open (yiwang/web/menu.py), for the header and
the phone's tab bar in web/base.html."""

from django import template

from yiwang.web.menu import menu_for

register = template.Library()


@register.simple_tag(takes_context=True)
def site_menu(context):
    request = context.get("request")
    user = context.get("user") if request is None else request.user
    return menu_for(user, request.path if request is not None else "")
