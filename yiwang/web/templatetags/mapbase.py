"""`{% map_base_script %}`: the shared map script's tag, carrying the base layer's settings as data
attributes (the pages' CSP refuses inline script). Every map page loads it after Leaflet and before
its own script; `{% map_base_script "public" %}` on residents' pages asks only the public endpoints."""

from django import template
from django.forms.utils import flatatt
from django.templatetags.static import static
from django.utils.html import format_html

from yiwang.regions.basemap import tile_source

register = template.Library()

AUDIENCES = ("staff", "public")


@register.simple_tag
def map_base_script(audience: str = "staff"):
    if audience not in AUDIENCES:
        raise template.TemplateSyntaxError(f"map_base_script: audience must be one of {AUDIENCES}, not {audience!r}")
    attrs = {"src": static("web/mapbase.js"), "data-audience": audience}
    source = tile_source()
    if source is not None:
        attrs |= {"data-tile-url": source.template, "data-tile-crs": source.crs, "data-tile-max-zoom": str(source.max_zoom)}
        if source.grid != "mercator":
            attrs["data-tile-grid"] = source.grid
        if source.zoom_offset:
            attrs["data-tile-zoom-offset"] = str(source.zoom_offset)
        if source.attribution:
            attrs["data-tile-attribution"] = source.attribution
        if source.subdomains:
            attrs["data-tile-subdomains"] = source.subdomains
    return format_html("<script{}></script>", flatatt(attrs))
