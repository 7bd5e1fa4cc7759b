"""`{% photo_marks %}`: the attributes that let web/photos.js shrink and preview the photos of an
<input type=file> written by hand in a template, as PhotosInput adds them to the forms' own."""

from django import template
from django.forms.utils import flatatt
from django.utils.translation import gettext

from yiwang.core.photos import max_side

register = template.Library()


@register.simple_tag
def photo_marks():
    return flatatt({"data-photos": True, "data-max-side": str(max_side()),
                    "data-undecodable": gettext("无法预览，将按原文件提交")})
