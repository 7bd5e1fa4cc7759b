import re
from datetime import date, timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .models import CalendarYear, DayKind, SpecialDay

# One line of a notice: "2027-02-06 春节" or a range "2027-02-06至2027-02-13 春节" (also "~" or "-" between).
NOTICE_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:至|~|～|—|--)\s*(\d{4}-\d{2}-\d{2}))?\s*(.*)$")
MAX_RANGE_DAYS = 31


def parse_notice_lines(text: str) -> dict[date, str]:
    """The dates a notice's lines name, each with its holiday name; every bad line reported at once."""
    days: dict[date, str] = {}
    errors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = NOTICE_LINE.match(line)
        try:
            if not match:
                raise ValueError
            first = date.fromisoformat(match.group(1))
            last = date.fromisoformat(match.group(2)) if match.group(2) else first
        except ValueError:
            errors.append(gettext("第 %(n)s 行“%(line)s”：请写成“2027-02-06 春节”或“2027-02-06至2027-02-13 春节”。") % {"n": number, "line": line})
            continue
        if not 0 <= (last - first).days < MAX_RANGE_DAYS:
            errors.append(gettext("第 %(n)s 行：结束日期须在开始日期之后，且一段不超过 31 天。") % {"n": number})
            continue
        for offset in range((last - first).days + 1):
            days[first + timedelta(days=offset)] = match.group(3).strip()
    if errors:
        raise ValidationError(errors)
    return days


def _lines(year: int, kind: str) -> str:
    return "\n".join(f"{d.isoformat()} {name}" for d, name in SpecialDay.objects.filter(date__year=year, kind=kind).values_list("date", "name"))


class NoticeForm(forms.ModelForm):
    """A year's notice in one form: the year is marked entered and its days replaced on save."""

    holidays = forms.CharField(label=_("放假日期"), widget=forms.Textarea(attrs={"rows": 10}),
                               help_text=_("每行一天或一段，后接节日名称，例如：2027-02-06至2027-02-13 春节"))
    workdays = forms.CharField(label=_("调休上班日期"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                               help_text=_("每行一天，例如：2027-02-20 春节"))

    class Meta:
        model = CalendarYear
        fields = ["year", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].initial = services.DEFAULT_NOTICE_SOURCE
        if self.instance.pk:
            self.fields["holidays"].initial = _lines(self.instance.year, DayKind.HOLIDAY)
            self.fields["workdays"].initial = _lines(self.instance.year, DayKind.WORKDAY)

    def clean_holidays(self):
        return parse_notice_lines(self.cleaned_data["holidays"])

    def clean_workdays(self):
        return parse_notice_lines(self.cleaned_data.get("workdays") or "")

    def clean(self):
        data = super().clean()
        year = data.get("year", self.instance.year)
        if year and "holidays" in data and "workdays" in data:
            try:
                services.check_notice(year=year, holidays=data["holidays"], workdays=data["workdays"])
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(field, messages)
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """Entering a year here is entering its State Council notice; until then the year is provisional."""

    form = NoticeForm
    list_display = ["year", "source", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # Another year is another notice: add it rather than move this one.
        return ["year"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        saved = services.enter_notice(year=obj.year, holidays=form.cleaned_data["holidays"], workdays=form.cleaned_data["workdays"],
                                      source=form.cleaned_data["source"], acting_user=request.user)
        obj.pk, obj.updated_at = saved.pk, saved.updated_at


@admin.register(SpecialDay)
class SpecialDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]
