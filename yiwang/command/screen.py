"""What one view of the screen asks for (place, period, board, matter, indicator), read from the
query string the same way by the page and the JSON API, and the case-list links behind each number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.urls import reverse

from yiwang.matters.models import Board
from yiwang.regions.models import Level, Region

from . import places
from .figures import DEFAULT_DAYS, MAP_INDICATORS, PERIOD_DAYS, Period


@dataclass(frozen=True)
class Screen:
    user: object
    place: Region | None
    period: Period
    days: int
    board: str  # "" for all
    matter: object | None  # MatterType
    indicator: str
    wall: bool

    @classmethod
    def read(cls, user, params, *, today: date | None = None) -> Screen:
        """Parse and check the query (`region`, `days`, `board`, `matter`, `indicator`, `wall`):
        PermissionDenied / Http404 for the region (places.screen_region), ValidationError
        naming the field for the rest."""
        from yiwang.matters.models import MatterType

        place = places.screen_region(user, (params.get("region") or "").strip() or None)
        errors: dict[str, str] = {}  # every bad field is named at once
        raw_days = (params.get("days") or "").strip()
        days = int(raw_days) if raw_days.isascii() and raw_days.isdigit() else DEFAULT_DAYS
        if raw_days and days not in PERIOD_DAYS or raw_days and not (raw_days.isascii() and raw_days.isdigit()):
            errors["days"] = f"days is one of {', '.join(map(str, PERIOD_DAYS))}"
            days = DEFAULT_DAYS
        board = (params.get("board") or "").strip()
        if board and board not in Board.values:
            errors["board"] = f"unknown board {board!r}; choose one of {', '.join(Board.values)}"
            board = ""
        matter = None
        raw_matter = (params.get("matter") or "").strip()
        if raw_matter:
            matter = MatterType.objects.filter(pk=int(raw_matter)).first() if raw_matter.isascii() and raw_matter.isdigit() else None
            if matter is None:
                errors["matter"] = f"unknown matter {raw_matter!r}"
        indicator = (params.get("indicator") or "").strip() or "on_time_rate"
        if indicator not in MAP_INDICATORS:
            errors["indicator"] = f"unknown indicator {indicator!r}; choose one of {', '.join(MAP_INDICATORS)}"
            indicator = "on_time_rate"
        if errors:
            raise ValidationError(errors)
        wall = (params.get("wall") or "") in ("1", "true", "yes")
        return cls(user, place, Period.last_days(days, today=today), days, board, matter, indicator, wall)

    # Arguments for the figures and layers.
    @property
    def boards(self) -> tuple[str, ...] | None:
        return (self.board,) if self.board else None

    @property
    def matter_id(self) -> int | None:
        return self.matter.pk if self.matter is not None else None

    @property
    def code(self) -> str:
        return self.place.code if self.place is not None else ""

    @property
    def rank_options(self) -> list[str]:
        """How the units may be ranked here: grids for a street or community (and the communities
        of a street), the units one level down elsewhere; none under a micro-grid."""
        level = self.place.level if self.place is not None else None
        if level == Level.STREET:
            return ["grid", "region"]
        if level == Level.COMMUNITY:
            return ["grid"]
        if level == Level.MICRO_GRID:
            return []
        return ["region"]

    # Links ----------------------------------------------------------------------------------------

    def query(self, **changes) -> str:
        """This screen's query string with some values changed ("" drops one)."""
        values = {"region": self.code, "days": str(self.days) if self.days != DEFAULT_DAYS else "", "board": self.board,
                  "matter": str(self.matter_id or ""), "indicator": self.indicator if self.indicator != "on_time_rate" else "",
                  "wall": "1" if self.wall else ""}
        values.update({k: ("" if v is None else str(v)) for k, v in changes.items()})
        return urlencode({k: v for k, v in values.items() if v})

    def list_url(self, state: str, *, board: str | None = None, period: bool = True, day: date | None = None,
                 region: str | None = None, department: int | None = None) -> str:
        """The staff case list holding exactly the cases a number counts: this place (or `region`),
        board, matter, the period's report dates (or one day; none for "now" figures) and the state."""
        params = {"region": self.code if region is None else region, "board": board if board is not None else self.board,
                  "matter": self.matter_id or "", "department": department or "", "state": state}
        if day is not None:
            params["since"] = params["until"] = day.isoformat()
        elif period:
            params["since"], params["until"] = self.period.start.isoformat(), self.period.last.isoformat()
        return reverse("case-list") + "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

    def tile_links(self, *, board: str | None = None, today: date) -> dict:
        return {
            "today_reported": self.list_url("cases", board=board, day=today),
            "open_now": self.list_url("open", board=board, period=False),
            "overdue_now": self.list_url("overdue", board=board, period=False),
            "period_cases": self.list_url("cases", board=board),
            "period_closed_on_time": self.list_url("on_time", board=board),
            "period_judged": self.list_url("judged", board=board),
            "period_satisfied": self.list_url("satisfied", board=board),
            "period_rated": self.list_url("rated", board=board),
        }
