"""The what-if form: a few common changes as fields, the rest (grid merges and splits, shifted
arrivals) as JSON; `scenario()` gives the scenario object that `scenario.py` checks."""

from __future__ import annotations

import json

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.cases.stage_models import Stage
from yiwang.regions.models import Level, Region

STAFF_ROWS = 3


class ScenarioForm(forms.Form):
    region = forms.ChoiceField(label=_("推演区域"), error_messages={"invalid_choice": _("请选择您辖区内的街道或区县"),
                                                                "required": _("请选择您辖区内的街道或区县")})
    weeks = forms.IntegerField(label=_("推演周数"), min_value=1, max_value=52, initial=13)
    seed = forms.IntegerField(label=_("随机种子"), min_value=0, max_value=2**31 - 1, required=False, initial=0)
    surge_from = forms.DateField(label=_("增量开始日期"), required=False)
    surge_to = forms.DateField(label=_("增量结束日期"), required=False)
    surge_factor = forms.FloatField(label=_("增量倍数"), min_value=0, max_value=20, required=False)
    surge_matters = forms.CharField(label=_("增量事项编码（逗号分隔，留空为全部）"), required=False, max_length=500)
    limit_stage = forms.ChoiceField(label=_("调整时限的环节"), required=False, choices=[("", "—")] + list(Stage.choices))
    limit_matter = forms.CharField(label=_("事项编码（留空为全部）"), required=False, max_length=16)
    limit_value = forms.CharField(label=_("新时限（如 4h、3d）"), required=False, max_length=12)
    extra = forms.CharField(label=_("其他调整（JSON，如网格合并 grids、到达平移 shifts）"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = regions
        self.fields["region"].choices = [(r.code, r.name) for r in regions]
        for row in range(1, STAFF_ROWS + 1):
            self.fields[f"staff_unit_{row}"] = forms.CharField(label=_("办理单位编码"), required=False, max_length=32)
            self.fields[f"staff_delta_{row}"] = forms.IntegerField(label=_("人数增减"), required=False, min_value=-500, max_value=500)

    def staff_rows(self):
        return [(self[f"staff_unit_{row}"], self[f"staff_delta_{row}"]) for row in range(1, STAFF_ROWS + 1)]

    def unit_choices(self):
        """Streets, communities and grids of the regions shown, for the unit field's suggestions."""
        paths = Q()
        for region in self.regions:
            paths |= Q(path__startswith=region.path)
        if not paths:
            return Region.objects.none()
        return Region.objects.filter(paths, level__in=[Level.STREET, Level.COMMUNITY, Level.GRID]).order_by("path").values_list("code", "name")

    def clean(self):
        data = super().clean()
        for row in range(1, STAFF_ROWS + 1):
            unit, delta = data.get(f"staff_unit_{row}", "").strip(), data.get(f"staff_delta_{row}")
            if unit and delta is None:
                self.add_error(f"staff_delta_{row}", _("请填写人数增减，如 2 或 -1"))
            if delta and not unit:
                self.add_error(f"staff_unit_{row}", _("请填写办理单位编码"))
        surge = [data.get("surge_from"), data.get("surge_to"), data.get("surge_factor")]
        if any(value is not None for value in surge) and not all(value is not None for value in surge):
            self.add_error("surge_factor", _("突发增量须同时填写开始日期、结束日期和倍数"))
        if data.get("limit_stage") and not data.get("limit_value", "").strip():
            self.add_error("limit_value", _("请填写新时限，如 4h 或 3d"))
        if data.get("limit_value", "").strip() and not data.get("limit_stage"):
            self.add_error("limit_stage", _("请选择调整时限的环节"))
        extra = data.get("extra", "").strip()
        if extra:
            try:
                parsed = json.loads(extra)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                self.add_error("extra", _("其他调整应为 JSON 对象，例如网格合并写作 grids 对象（原网格编码对应新网格编码）"))
            else:
                data["extra_object"] = parsed
        return data

    def scenario(self) -> dict:
        data = self.cleaned_data
        scenario: dict = dict(data.get("extra_object") or {})
        staff = [{"unit": data[f"staff_unit_{row}"].strip(), "delta": data[f"staff_delta_{row}"]}
                 for row in range(1, STAFF_ROWS + 1) if data.get(f"staff_unit_{row}", "").strip()]  # fmt: skip
        if staff:
            scenario["staff"] = list(scenario.get("staff") or []) + staff
        if data.get("surge_factor") is not None:
            matters = [code.strip() for code in data.get("surge_matters", "").replace("，", ",").split(",") if code.strip()]
            surge = {"from": data["surge_from"].isoformat(), "to": data["surge_to"].isoformat(), "factor": data["surge_factor"]}
            if matters:
                surge["matters"] = matters
            scenario["surges"] = list(scenario.get("surges") or []) + [surge]
        if data.get("limit_stage"):
            limit = {"stage": data["limit_stage"], "limit": data["limit_value"].strip()}
            if data.get("limit_matter", "").strip():
                limit["matter"] = data["limit_matter"].strip()
            scenario["stage_limits"] = list(scenario.get("stage_limits") or []) + [limit]
        return scenario
