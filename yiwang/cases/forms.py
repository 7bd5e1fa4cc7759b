"""Forms of the case pages: parse and check what people type; the services decide the rest.

A service's ValidationError comes back keyed by its own field names ("lat", "photos",
"attribute[code]"); `apply_service_errors` puts each message next to the field it names.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yiwang.core.formfields import PhotosField
from yiwang.matters.models import MatterType
from yiwang.regions import lookup
from yiwang.registry.validators import MOBILE_RE, validate_phone

from .models import Channel, Urgency
from .services import service_application_refusal

# Labels for the field names the services use in their errors.
FIELD_LABELS = {
    "note": _("说明"), "rating": _("评价"), "department": _("部门"), "region": _("派往单位"), "target": _("派往单位"),
    "amount": _("延长时限"), "original": _("原事件编号"), "photos": _("照片"), "before": _("处置前照片"),
    "after": _("处置后照片"), "extension": _("延期申请"), "level": _("办理层级"), "matter": _("事项"), "lat": _("位置"),
    "lon": _("位置"), "grid": _("网格"), "step_due_at": _("时限"), "case": _("事件"), "parts": _("报到单位"),
    "checked_in_at": _("报到"), "done_at": _("完成"), "result": _("办理结果"), "rating_of_summoner": _("评价"),
    "rating_of_participant": _("评价"), "urgency": _("紧急程度"), "attributes": _("采集项"), "reason": _("哨令"),
    "access_code": _("查询码"), "phone": _("手机号"), "reporter_phone": _("反映人电话"), "stars": _("评价"),
}


def field_label(key: str) -> str:
    if key.startswith("attribute["):
        return str(_("采集项"))
    if key.startswith("parts["):
        return str(_("报到单位"))
    return str(FIELD_LABELS.get(key, key))


class MatterSelect(forms.Select):
    """A select whose options carry the matter's tier (data-tier), for the "solved on the spot" switch."""

    def __init__(self, *args, tiers: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers = tiers or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        tier = self.tiers.get(str(value))
        if tier:
            option["attrs"]["data-tier"] = tier
        return option


class MatterField(forms.ChoiceField):
    """Matter types grouped by category, each showing its tier for staff (residents read names
    only: the tier is internal); cleans to a MatterType."""

    def __init__(self, queryset, *args, show_tier: bool = True, empty_label=None, **kwargs):
        self.matters = {str(m.pk): m for m in queryset.order_by("category", "kind", "code")}
        groups: dict[str, list] = {}
        for pk, m in self.matters.items():
            tier = _("%(tier)s类") % {"tier": m.default_tier}
            groups.setdefault(m.category or str(_("其他")), []).append((pk, f"{m.name}（{tier}）" if show_tier else m.name))
        kwargs.setdefault("label", _("事项类型"))
        super().__init__(*args, choices=[("", empty_label or _("请选择事项"))] + list(groups.items()), **kwargs)
        tiers = {pk: m.default_tier for pk, m in self.matters.items()} if show_tier else {}
        self.widget = MatterSelect(choices=self.choices, tiers=tiers)

    def clean(self, value):
        value = super().clean(value)
        return self.matters.get(str(value)) if value else None


def coordinate_widget(name: str):
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "data-coordinate": name})


class CaseReportForm(forms.Form):
    """What every report has: matter, description, position, photos (the extra questions are read
    separately, see `attribute_answers`)."""

    position_required = True

    description = forms.CharField(label=_("情况描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    lon = forms.FloatField(label=_("经度"), required=False, widget=coordinate_widget("lon"))
    lat = forms.FloatField(label=_("纬度"), required=False, widget=coordinate_widget("lat"))
    address = forms.CharField(label=_("地址或位置描述"), max_length=200, required=False)
    photos = PhotosField(label=_("现场照片"))

    def __init__(self, *args, matters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"matter": self.matter_field(matters), **self.fields}
        self.fields["matter"].widget.attrs.update({
            "data-testid": "matter", "hx-get": reverse("matter-questions"), "hx-trigger": "change",
            "hx-target": "#questions", "hx-swap": "innerHTML",
        })

    def clean(self):
        data = super().clean()
        lon, lat = data.get("lon"), data.get("lat")
        if (lon is None) != (lat is None) and not self.has_error("lon") and not self.has_error("lat"):
            self.add_error("lat", _("请同时给出经度和纬度"))
        elif lon is not None and lat is not None:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90) or not lookup.locate(lon, lat).found:
                self.add_error("lat", _("所选位置不在任何网格内，请在地图的网格范围内点选"))
        elif self.position_required and not (self.has_error("lon") or self.has_error("lat")) and not self._has_other_place(data):
            self.add_error("lat", _("请用手机定位或在地图上点选位置"))
        return data

    def _has_other_place(self, data) -> bool:
        return False

    def matter_field(self, matters) -> MatterField:
        return MatterField(matters)


class StaffReportForm(CaseReportForm):
    """Grid worker report (/cases/report/) and desk/hotline entry (/cases/new/)."""

    channel = forms.ChoiceField(label=_("来源"))
    grid = forms.ModelChoiceField(label=_("所在网格（没有定位时选择）"), queryset=None, required=False)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    reporter_name = forms.CharField(label=_("反映人姓名"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("反映人电话"), max_length=30, required=False)
    solve_on_spot = forms.BooleanField(label=_("现场已解决（仅 A 类事项，须附处置前后照片）"), required=False)
    before = PhotosField(label=_("处置前照片"))
    after = PhotosField(label=_("处置后照片"))
    spot_note = forms.CharField(label=_("处置说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, channels, grids, desk: bool, can_solve: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.desk, self.can_solve = desk, can_solve
        self.fields["channel"].choices = [(c, Channel(c).label) for c in channels]
        if len(channels) == 1:
            self.fields["channel"].initial = channels[0]
        self.fields["grid"].queryset = grids
        self.fields["grid"].empty_label = _("— 请选择网格 —")
        self.fields["grid"].label_from_instance = lambda region: f"{region.name}（{region.code}）"
        if not desk:
            del self.fields["reporter_name"], self.fields["reporter_phone"]
        if not can_solve:
            for name in ("solve_on_spot", "before", "after", "spot_note"):
                del self.fields[name]

    def _has_other_place(self, data) -> bool:
        return data.get("grid") is not None

    def clean_reporter_phone(self):
        value = self.cleaned_data.get("reporter_phone", "").strip()
        if not value:
            return ""
        try:
            return validate_phone(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean(self):
        data = super().clean()
        if data.get("solve_on_spot"):
            matter = data.get("matter")
            if matter is not None and matter.default_tier != "A":
                self.add_error("solve_on_spot", _("%(name)s 是 %(tier)s 类事项，只有 A 类事项可以现场解决") % {"name": matter.name, "tier": matter.default_tier})
            for name in ("before", "after"):
                if not data.get(name) and not self.has_error(name):
                    self.add_error(name, _("现场解决须附处置前和处置后照片"))
        return data


class ProblemKindField(MatterField):
    """What is wrong, in the resident's words: names only, by category. A service application posted
    anyway (the page never offers one) is refused with where to go instead."""

    def __init__(self, queryset, *, refused=(), **kwargs):
        self.refused = {str(m.pk): m for m in refused}
        super().__init__(queryset, show_tier=False, label=_("遇到了什么问题"), empty_label=_("请选择问题类型"), **kwargs)

    def clean(self, value):
        if value and str(value) in self.refused:
            raise ValidationError(service_application_refusal(self.refused[str(value)]), code="service_application")
        return super().clean(value)


class ResidentReportForm(CaseReportForm):
    """随手拍: the place first, then what is wrong (a problem kind by name, description, photos), then
    a mainland mobile number (a signed-in resident's own, filled in). Fields in that order, so the
    page reads the same as one plain form without its script."""

    PLACE_FIRST = ("lon", "lat", "address", "matter", "description", "photos", "phone", "publish")

    phone = forms.CharField(label=_("手机号"), widget=forms.TextInput(attrs={
        "inputmode": "tel", "autocomplete": "tel", "maxlength": 11, "pattern": "1[3-9][0-9]{9}"}))
    # The resident's own choice; unticked by default. Released only after a moderator's review.
    publish = forms.BooleanField(label=_("公开显示"), required=False, help_text=_(
        "勾选后，经工作人员审核并删去电话、门牌、姓名等个人信息，问题描述和大致位置会在公开渠道显示；手机号永不公开。"
        "矛盾纠纷、关爱帮扶类事项不公开。"))

    def __init__(self, *args, matters, refused_matters=(), **kwargs):
        self.refused_matters = refused_matters
        super().__init__(*args, matters=matters, **kwargs)
        self.order_fields(self.PLACE_FIRST)
        self.fields["address"].widget.attrs["placeholder"] = _("如：幸福小区3栋楼下")

    def matter_field(self, matters) -> MatterField:
        return ProblemKindField(matters, refused=self.refused_matters)

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if not MOBILE_RE.fullmatch(value):
            raise ValidationError(_("请输入11位中国大陆手机号（1开头，第二位为3–9）"), code="invalid")
        return value


def attribute_answers(matter: MatterType | None, post) -> dict:
    """The answers to the matter's extra questions, from fields named attribute[code]."""
    if matter is None:
        return {}
    answers = {}
    for question in matter.attributes:
        key = f"attribute[{question['code']}]"
        if question.get("datatype") == "multivaluelist":
            values = [v for v in post.getlist(key) if v]
            if values:
                answers[question["code"]] = values
        else:
            value = post.get(key, "").strip()
            if value:
                answers[question["code"]] = value
    return answers


def questions_for(matter: MatterType | None, answers: dict | None = None, errors: dict | None = None) -> list[dict]:
    """The matter's questions, ready for the template, with what was answered and any error."""
    if matter is None:
        return []
    answers, errors = answers or {}, errors or {}
    out = []
    for question in matter.attributes:
        code = question["code"]
        value = answers.get(code, "")
        chosen = set(value if isinstance(value, list) else [str(value)] if value != "" else [])
        out.append({
            "code": code, "name": f"attribute[{code}]", "label": question["description"],
            "datatype": question.get("datatype", "string"), "required": bool(question.get("required")),
            "value": "" if isinstance(value, list) else value,
            "values": [{"key": str(v["key"]), "name": v["name"], "chosen": str(v["key"]) in chosen} for v in question.get("values", [])],
            "errors": errors.get(code, []),
        })
    return out


def apply_service_errors(form: forms.Form, exc: ValidationError, attribute_errors: dict) -> None:
    """Put a service's ValidationError next to the fields it names."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        if key.startswith("attribute["):
            attribute_errors[key[len("attribute["):-1]] = messages
        elif key == "attributes":
            form.add_error(None, [f"{field_label(key)}：{m}" for m in messages])
        elif key in ("lon", "lat") and "lat" in form.fields:
            form.add_error("lat", messages)
        elif key in form.fields:
            form.add_error(key, messages)
        else:
            form.add_error(None, [f"{field_label(key)}：{m}" for m in messages])
