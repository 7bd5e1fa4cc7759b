"""推演 pages: compose a what-if and start it; its progress and figures beside the back-test's. Thin:
the rules are in services and selectors, the model in simulation.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from yiwang.matters.models import Department

from . import selectors, services
from .forms import ScenarioForm


@login_required
def index(request):
    if not selectors.may_simulate(request.user):
        raise PermissionDenied
    regions = selectors.simulation_regions(request.user)
    form = ScenarioForm(request.POST or None, regions=regions)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run = services.start_scenario(acting_user=request.user, region_code=form.cleaned_data["region"],
                                              weeks=form.cleaned_data["weeks"], scenario=form.scenario(),
                                              seed=form.cleaned_data["seed"] or 0)  # fmt: skip
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                return redirect("simulator:run", pk=run.pk)
        status = 400
    return render(request, "simulator/index.html", {
        "form": form, "runs": selectors.runs_of(request.user).filter(kind="scenario")[:20],
        "units": form.unit_choices(), "departments": Department.objects.order_by("code").values_list("code", "name"),
    }, status=status)


@login_required
@never_cache
def run_page(request, pk: int):
    if not selectors.may_simulate(request.user):
        raise PermissionDenied
    run = selectors.run_of(request.user, pk)
    backtest = run.backtest if run.kind == "scenario" else run
    context = {"run": run, "backtest": backtest, "ended": run.ended and (backtest is None or backtest.ended)}
    if run.status == "done" and run.kind == "scenario":
        context["rows"] = _rows(run.result, backtest.result if backtest and backtest.status == "done" else None)
    template = "simulator/_run.html" if request.headers.get("HX-Request") else "simulator/run.html"
    return render(request, template, context)


def _percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _points(value) -> str:
    """An on-time rate's error, in percentage points."""
    return "—" if value is None else gettext("±%(points).1f 个百分点") % {"points": value * 100}


def _relative(value) -> str:
    return "—" if value is None else f"±{value * 100:.0f}%"


def _rows(result: dict, backtest: dict | None) -> dict:
    """The figures side by side: today, the scenario, and the back-test's error for the same figure."""
    today, scenario = result["today"], result["scenario"]
    figures = (backtest or {}).get("backtest", {})
    errors = {row["key"]: row.get("cases_error") for row in figures.get("workload", [])}
    today_units = {row["key"]: row for row in today["workload"]}
    workload = []
    for row in scenario["workload"]:
        before = today_units.get(row["key"], {})
        workload.append({"label": row["label"], "unit": row["unit"], "staff_today": before.get("staff"), "staff": row["staff"],
                         "cases_today": before.get("cases"), "cases": row["cases"], "utilisation_today": _percent(before.get("utilisation")),
                         "utilisation": _percent(row["utilisation"]), "error": _relative(errors.get(row["key"])), "staff_known": row["staff_known"]})  # fmt: skip
    weeks = [{"week": index + 1, "cases_today": today["weekly_cases"][index], "cases": scenario["weekly_cases"][index],
              "backlog_today": today["backlog"][index], "backlog": scenario["backlog"][index]}
             for index in range(len(today["backlog"]))]  # fmt: skip
    return {
        "on_time_today": _percent(today["on_time_rate"]), "on_time": _percent(scenario["on_time_rate"]),
        "on_time_error": _points((figures.get("on_time_rate") or {}).get("error")),
        "backlog_today": today["backlog"][-1], "backlog": scenario["backlog"][-1],
        "backlog_error": _relative((figures.get("backlog") or {}).get("mape")),
        "cases_today": round(sum(today["weekly_cases"])), "cases": round(sum(scenario["weekly_cases"])),
        "cases_error": _relative(figures.get("weekly_cases_mape")),
        "workload": workload, "weeks": weeks,
    }  # fmt: skip
