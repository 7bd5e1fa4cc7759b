"""Import of historic cases from other systems' exports (CSV/.xlsx), e.g. 311 request dumps.

A `Mapping` says which source column feeds which of our fields, how its dates are written, in
which time zone its wall clock ran, and how its statuses and categories translate. The presets
(`PRESETS`: the shared 311 files, the 12345 hotline's and 数字城管's exports) are data files in
`presets/` (TOML, read in name order, each naming its source); a JSON file of the same keys
describes any other export.

The import runs on yiwang.core.importing: every row is read and checked first, every problem is
collected as (row, column, reason) and nothing is written unless the whole file is clean (or, when
asked, the bad rows are left out and listed). A clean file is written in one transaction as plain
rows (yiwang.core.bulk): cases (their ids reserved first, so their numbers are known), then one
"import" event per case, then an audit entry for the file. The rows are built a batch at a time
and written meanwhile by a thread of their own (`bulk.BackgroundWriter`). These rows bypass
Case.save, so the case rollups are counted from the rows in hand (`rollups.count_snapshots`, no
read back), and written in one upsert per table.

Time. Naive local times are localised in the mapping's zone with zoneinfo, and every instant is
stored as an aware UTC datetime, so elapsed time = closed_at - reported_at is right across
daylight-saving changes (a case opened 00:30 and closed 03:30 on the November fall-back night took
four hours, not three). A wall time that a DST change makes ambiguous or impossible says nothing
about which instant was meant; it is read with fold=0, the PEP 495 default, and listed as a warning:
- an ambiguous time (the repeated hour in autumn, e.g. 01:30 on 2017-11-05 in Los Angeles) is
  the first of its two occurrences, on daylight time;
- a non-existent time (the skipped hour in spring, e.g. 02:30 on 2018-03-11) is read with the
  offset in force before the jump, i.e. as 03:30 daylight time, where a clock not yet put forward
  would have shown it.
Either way the reading is off by at most that one hour, and only for cells the warnings name.

Routing. Each case gets its matter's current version and the tier, level and handling region
that routing.route gives the matter's default tier in the case's grid: the grid its point falls
in, else the target grid given to the import. No RoutingDecision rows are written: the import
event says where the case came from.

Deadlines. A source's own deadline (the mapping's `due_at` column: 办理时限, 截止时间, target_dt)
is kept per case, read like the other times, and on-time and overdue are judged against it, for open
and closed cases alike. Where the source gives none, nothing is invented for closed and rejected
cases: they were handled under the source's limits and calendar, so they carry no `close_due_at`,
the indicators count them as closed without a deadline, and `deadline_note` says why. Open cases
(reported/accepted) with no source deadline run on our matter's limits, started at the source's
report time (not at the import: a clock started at the import would give a case open since 2022
a deadline next year); their `deadline_note` says so. Either way an open case's running step
started at the source's report time.
"""

from __future__ import annotations

import json
import re
import statistics
import tomllib
from collections import Counter
from collections.abc import Callable
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection
from django.utils import timezone

from yiwang.core import audit, bulk
from yiwang.core.importing import Importer, ImportReport
from yiwang.core.tabular import Column, RowError, Table, TabularError, read_table
from yiwang.matters.models import MatterType
from yiwang.matters.services import current_version
from yiwang.regions import lookup
from yiwang.regions.coords import CRS_CHOICES, WGS84
from yiwang.regions.models import Level as RegionLevel
from yiwang.regions.models import Region
from yiwang.worktime import calendar as work_calendar

from . import clock, rollups, routing
from .models import Case, CaseEvent, Channel, Status

ACTOR_LABEL = "历史导入"
# The statuses an import may give: the ones whose timestamps a source's report and end times tell.
IMPORT_STATUSES = (Status.REPORTED, Status.ACCEPTED, Status.REJECTED, Status.CLOSED)
# Cells that mean "no value" in the exports we have seen (R writes NA, some systems NULL), in the
# usual spellings: a set lookup per cell, not a lower() and a lookup.
NULLS = frozenset(v for n in ("", "na", "n/a", "null", "none", "nan", "nat") for v in (n, n.upper(), n.title())) | {"NaN", "NaT"}
DEFAULT_STATUSES = {
    "closed": Status.CLOSED, "resolved": Status.CLOSED, "completed": Status.CLOSED, "complete": Status.CLOSED,
    "已结案": Status.CLOSED, "结案": Status.CLOSED, "已办结": Status.CLOSED, "办结": Status.CLOSED,
    "open": Status.ACCEPTED, "in progress": Status.ACCEPTED, "pending": Status.ACCEPTED, "assigned": Status.ACCEPTED,
    "started": Status.ACCEPTED, "email sent": Status.ACCEPTED, "new": Status.REPORTED, "submitted": Status.REPORTED,
    "待受理": Status.REPORTED, "已受理": Status.ACCEPTED, "已立案": Status.ACCEPTED, "处置中": Status.ACCEPTED,
    "cancelled": Status.REJECTED, "canceled": Status.REJECTED, "duplicate": Status.REJECTED,
    "referred out": Status.REJECTED, "invalid": Status.REJECTED, "不予立案": Status.REJECTED, "已作废": Status.REJECTED,
}  # fmt: skip


class MappingError(ValueError):
    """The mapping itself is wrong (an unknown key, zone, status or matter code)."""


def _texts(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class Mapping:
    """Which source column feeds which field, and how to read it.

    Column names are the file's headers (matched as the registry import matches them: case,
    spaces and full-width forms do not matter). Every column named must be in the file.
    """

    source: str  # written as external_source; presets of one system share it so overlaps are caught
    external_id: str
    reported_at: str
    # Columns tried in order for the end time of closed or rejected cases; ignored for open ones.
    closed_at: tuple[str, ...] = ()
    status: str = ""  # no status column: closed when there is an end time, accepted otherwise
    statuses: dict[str, str] = field(default_factory=dict)  # source value (any case) -> our status, on top of DEFAULT_STATUSES
    category: tuple[str, ...] = ()  # category columns, most general first
    matters: dict[str, str] = field(default_factory=dict)  # category value (a trailing * matches a prefix) -> matter code
    fallback_matter: str = "S0010"  # 居民诉求, for categories the map does not name
    lat: str = ""
    lon: str = ""
    point: str = ""  # one column holding "(lat, lon)" or WKT "POINT (lon lat)"
    crs: str = WGS84
    address: str = ""
    description: tuple[str, ...] = ()
    agency: str = ""
    due_at: str = ""  # the source's own deadline for the whole case (办理时限, 截止时间, target_dt)
    date_formats: tuple[str, ...] = ("iso",)  # strptime formats, or "iso" for datetime.fromisoformat
    tz: str = ""  # the zone of naive times; the site's TIME_ZONE when empty
    ignore_offset: bool = False  # for exports that label local wall times as UTC (see the sfbq preset)
    closed_before_reported: str = "error"  # or "clamp": close at the report time, with a warning

    def __post_init__(self) -> None:
        for name in ("closed_at", "category", "description", "date_formats"):
            object.__setattr__(self, name, _texts(getattr(self, name)))
        if not self.source or not self.external_id or not self.reported_at:
            raise MappingError("a mapping needs source, external_id and reported_at")
        if len(self.source) > 32:
            raise MappingError(f"source {self.source!r} is longer than 32 characters")
        if bool(self.lat) != bool(self.lon):
            raise MappingError("give both lat and lon columns, or neither")
        if self.crs not in CRS_CHOICES:
            raise MappingError(f"crs {self.crs!r}: use one of {', '.join(CRS_CHOICES)}")
        if self.closed_before_reported not in ("error", "clamp"):
            raise MappingError("closed_before_reported is 'error' or 'clamp'")
        if not self.date_formats:
            raise MappingError("date_formats is empty")
        bad = {k: v for k, v in self.statuses.items() if v not in IMPORT_STATUSES}
        if bad:
            raise MappingError(f"statuses {bad}: map to one of {', '.join(IMPORT_STATUSES)}")
        self.zone()

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.tz or settings.TIME_ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            raise MappingError(f"unknown time zone {self.tz!r}") from None

    def headers(self) -> list[str]:
        """Every source column the mapping reads, each once."""
        named = [self.external_id, self.reported_at, *self.closed_at, self.status, *self.category, self.lat, self.lon,
                 self.point, self.address, *self.description, self.agency, self.due_at]  # fmt: skip
        return list(dict.fromkeys(h for h in named if h))

    def status_map(self) -> dict[str, str]:
        return {**DEFAULT_STATUSES, **{k.strip().lower(): v for k, v in self.statuses.items()}}

    @classmethod
    def from_dict(cls, data: MappingType[str, Any], *, base: Mapping | None = None) -> Mapping:
        """A mapping from JSON-like data; with `base`, the data overrides the base's fields."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known - {"preset"})
        if unknown:
            raise MappingError(f"unknown mapping key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values = {k: v for k, v in data.items() if k != "preset"}
        if "preset" in data and base is None:
            base = preset(data["preset"])
        try:
            return replace(base, **values) if base is not None else cls(**values)
        except (TypeError, AttributeError) as exc:  # a key missing, or a value of the wrong shape
            raise MappingError(f"mapping: {exc}") from None

    @classmethod
    def from_json(cls, path: str | Path, *, base: Mapping | None = None) -> Mapping:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise MappingError(f"cannot read mapping {path}: {exc}") from None
        if not isinstance(data, dict):
            raise MappingError(f"{path}: a JSON object is expected")
        return cls.from_dict(data, base=base)


# --- presets ------------------------------------------------------------------------------------

PRESETS_DIR = Path(__file__).resolve().parent / "presets"


def load_presets(directory: Path = PRESETS_DIR) -> dict[str, Mapping]:
    """Every preset of the TOML files in `directory`, in file-name order (the order the import
    page lists them). A file's `defaults` table is where each of its `presets` starts from."""
    presets: dict[str, Mapping] = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as f:
            data = tomllib.load(f)
        defaults = data.get("defaults", {})
        for name, values in data.get("presets", {}).items():
            if name in presets:
                raise MappingError(f"{path.name}: preset {name!r} is defined twice")
            try:
                presets[name] = Mapping.from_dict({**defaults, **values})
            except MappingError as exc:
                raise MappingError(f"{path.name}, preset {name!r}: {exc}") from None
    return presets


PRESETS: dict[str, Mapping] = load_presets()


def preset(name: str) -> Mapping:
    try:
        return PRESETS[name]
    except KeyError:
        raise MappingError(f"no preset {name!r}; presets: {', '.join(PRESETS)}") from None


# --- reading cells -------------------------------------------------------------------------------


# strptime is pure Python and costs more than the rest of a row; the directives exports use are
# matched with one regular expression instead (anything else falls back to strptime).
_DIRECTIVES = {"Y": r"(\d{4})", "y": r"(\d{2})", "m": r"(\d{1,2})", "d": r"(\d{1,2})", "H": r"(\d{1,2})", "I": r"(\d{1,2})",
               "M": r"(\d{1,2})", "S": r"(\d{1,2})", "f": r"(\d{1,6})", "p": r"([AaPp][Mm])"}  # fmt: skip


def _compile(fmt: str) -> tuple[re.Pattern, tuple[str, ...]] | None:
    """A pattern for `fmt` and the directive of each group, or None if it uses others."""
    pattern, order = [], []
    for literal, directive in re.findall(r"([^%]*)(?:%(.)|$)", fmt):
        pattern.append(r"\s+" if literal.isspace() else re.escape(literal))
        if directive:
            if directive not in _DIRECTIVES or directive in order:
                return None
            pattern.append(_DIRECTIVES[directive])
            order.append(directive)
    if ("p" in order) != ("I" in order) or {"H", "I"} <= set(order):  # odd mixes: leave them to strptime
        return None
    return re.compile("".join(pattern)), tuple(order)


def _parser(fmt: str):
    """text -> naive or aware datetime, raising ValueError, for one format ("iso" or strptime's)."""
    if fmt == "iso":
        return datetime.fromisoformat
    compiled = _compile(fmt)
    if compiled is None:
        return lambda text: datetime.strptime(text, fmt)
    pattern, order = compiled
    at = {d: i for i, d in enumerate(order)}
    year, short_year, month, day = at.get("Y"), at.get("y"), at.get("m"), at.get("d")
    hour, minute, second, fraction, meridian = at.get("H", at.get("I")), at.get("M"), at.get("S"), at.get("f"), at.get("p")

    def parse(text: str) -> datetime:
        match = pattern.fullmatch(text)
        if match is None:
            raise ValueError(text)
        g = match.groups()
        # strptime's %y rule: 69-99 are 1969-1999, 00-68 are 2000-2068.
        y = int(g[year]) if year is not None else 1900 + int(g[short_year]) + (100 if int(g[short_year]) < 69 else 0)
        h = int(g[hour]) if hour is not None else 0
        if meridian is not None:
            h = h % 12 + (12 if g[meridian].lower() == "pm" else 0) if 1 <= h <= 12 else 99  # 99: out of range, as strptime
        return datetime(
            y, int(g[month]) if month is not None else 1, int(g[day]) if day is not None else 1, h,
            int(g[minute]) if minute is not None else 0, int(g[second]) if second is not None else 0,
            int(g[fraction].ljust(6, "0")) if fraction is not None else 0,
        )  # fmt: skip

    return parse


class _Times:
    """Parses a mapping's date cells into aware UTC datetimes, noting DST-ambiguous wall times."""

    def __init__(self, mapping: Mapping):
        self.formats = mapping.date_formats
        # ISO last whatever the formats: it is unambiguous, and it is how date cells of .xlsx files read.
        self.parsers = [_parser(f) for f in dict.fromkeys((*mapping.date_formats, "iso"))]
        self.zone = mapping.zone()
        self.ignore_offset = mapping.ignore_offset
        # Local day (ordinal) -> its one UTC offset, or None on a day the offset changes: every
        # other wall time is then made UTC by one subtraction, not a zone lookup and a fold test.
        self._offsets: dict[int, timedelta | None] = {}

    def parse(self, text: str) -> tuple[datetime, str]:
        """(UTC instant, "" or a note on how a DST-ambiguous time was read); ValueError if no format fits."""
        for parse in self.parsers:
            try:
                value = parse(text)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"时间 {text} 不符合格式 {' 或 '.join(self.formats)}")
        if value.tzinfo is not None:
            if not self.ignore_offset:
                return value.astimezone(UTC), ""
            value = value.replace(tzinfo=None)
        day = value.toordinal()
        offset = self._offsets[day] if day in self._offsets else self._offsets.setdefault(day, self._steady_offset(value))
        if offset is not None:
            return (value - offset).replace(tzinfo=UTC), ""
        local = value.replace(tzinfo=self.zone)
        note = ""
        if local.utcoffset() != local.replace(fold=1).utcoffset():
            # fold=0 (see the module docstring). In a fold both readings are real times; in a gap
            # the wall time does not survive the round trip through UTC.
            shown = local.astimezone(UTC).astimezone(self.zone)
            if shown.replace(tzinfo=None) == value:
                note = f"本地时间 {value:%Y-%m-%d %H:%M} 在夏令时结束时出现两次，按第一次（{shown:%Z}）计"
            else:
                note = f"本地时间 {value:%Y-%m-%d %H:%M} 因夏令时开始而不存在，按切换前的时差计为 {shown:%H:%M %Z}"
        return local.astimezone(UTC), note

    def _steady_offset(self, value: datetime) -> timedelta | None:
        """The UTC offset of the whole local day of `value`, or None if it changes that day (the
        same offset at both ends of the day, on either side of a fold, means it holds all day)."""
        start = datetime(value.year, value.month, value.day, tzinfo=self.zone)
        end = start.replace(hour=23, minute=59, second=59, microsecond=999_999)
        offsets = {moment.utcoffset() for moment in (start, start.replace(fold=1), end, end.replace(fold=1))}
        return offsets.pop() if len(offsets) == 1 else None


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _coordinates(lat_text: str, lon_text: str) -> tuple[float, float] | str | None:
    """(lat, lon), None for no position (empty, or 0/0 as several exports write it), or why not."""
    if not lat_text and not lon_text:
        return None
    if not lat_text or not lon_text:
        return "经度和纬度应同时填写或同时留空"
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        return f"坐标（{lat_text}, {lon_text}）不是数字"
    if lat == 0 and lon == 0:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return f"坐标（{lat_text}, {lon_text}）超出纬度/经度范围"
    return lat, lon


def _point(text: str) -> tuple[float, float] | str | None:
    if not text:
        return None
    numbers = _NUMBER.findall(text)
    if len(numbers) != 2:
        return f"点位 {text} 应写成（纬度，经度）或 POINT （经度 纬度）"
    a, b = numbers
    return _coordinates(b, a) if text.lstrip().upper().startswith("POINT") else _coordinates(a, b)


class _Matters:
    """Category values to matter types: exact (any case) first, then `prefix*` keys in order."""

    def __init__(self, mapping: Mapping):
        codes = {*mapping.matters.values(), mapping.fallback_matter}
        by_code: dict[str, list[MatterType]] = {}
        for matter in MatterType.objects.filter(code__in={c.rpartition("-")[2] for c in codes}):
            by_code.setdefault(matter.code, []).append(matter)
            by_code.setdefault(matter.service_code, []).append(matter)

        def resolve(code: str) -> MatterType:
            found = by_code.get(code, [])
            if len(found) != 1:
                why = "不存在" if not found else "对应多个类型，请写成 类型-编码（如 event-06010）"
                raise MappingError(f"事项编码 {code} {why}")
            return found[0]

        self.fallback = resolve(mapping.fallback_matter)
        exact = {k.lower(): resolve(v) for k, v in mapping.matters.items() if not k.endswith("*")}
        prefixes = [(k[:-1].lower(), resolve(v)) for k, v in mapping.matters.items() if k.endswith("*")]
        self._exact, self._prefixes = exact, prefixes
        self._cache: dict[tuple[str, ...], MatterType] = {}

    def __call__(self, values: tuple[str, ...]) -> MatterType:
        """The most specific category that is mapped decides; unmapped ones take the fallback."""
        matter = self._cache.get(values)
        if matter is None:
            matter = self._cache[values] = self._find(values)
        return matter

    def _find(self, values: tuple[str, ...]) -> MatterType:
        for value in reversed(values):
            key = value.lower()
            if key in self._exact:
                return self._exact[key]
            for prefix, matter in self._prefixes:
                if key.startswith(prefix):
                    return matter
        return self.fallback


# --- the import ----------------------------------------------------------------------------------


@dataclass
class _Row:
    row: int
    external_id: str
    status: str
    source_status: str
    reported_at: datetime
    ended_at: datetime | None
    matter: MatterType
    position: tuple[float, float] | None  # (lat, lon) as given, in the mapping's crs
    address: str
    description: str
    due_at: datetime | None = None  # the source's own deadline


def import_cases(
    source: Any,
    *,
    mapping: Mapping,
    region: Region | str,
    skip_bad_rows: bool = False,
    encoding: str | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    scope_path: str = "",
) -> ImportReport:
    """Import the cases in `source` (a path, bytes or file) read through `mapping`.

    `region` is the grid (or micro-grid), or its code, given to rows whose point is in no grid of
    ours. Raises ImportFailed listing every bad row and writes nothing, unless `skip_bad_rows`,
    which writes the good rows and returns the bad ones in `skipped`. MappingError for a bad mapping.
    There is no user and no scope check: the command line is run by whoever runs the site, and the
    staff page (yiwang.imports) checks the user before it queues the job. `progress(done, total)`
    is told every few thousand rows checked, and once more when the rows are written. With
    `scope_path` (the importing user's), a point in a grid outside it counts as in no grid of ours:
    the case goes to `region`, with a warning naming the row.
    """
    importer = CaseImporter(mapping=mapping, region=region, skip_bad_rows=skip_bad_rows, now=now, progress=progress, scope_path=scope_path)
    return importer.run(source, encoding=encoding)


class CaseImporter(Importer):
    """Historic cases through a `Mapping`; the report adds cases per status and the median hours
    from report to close."""

    def __init__(self, *, mapping: Mapping, region: Region | str, skip_bad_rows: bool = False, now: datetime | None = None,
                 progress: Callable[[int, int], None] | None = None, scope_path: str = ""):  # fmt: skip
        super().__init__(progress=progress or False, skip_bad_rows=skip_bad_rows)
        self.mapping = mapping
        self.target = _target(region)
        self.now = now or timezone.now()
        self.scope_path = scope_path
        self.columns = _columns(mapping)

    def read(self, source: Any, *, mapping=None, encoding: str | None = None) -> Table:
        # The mapping names the file's own headers: each is its own field.
        return super().read(source, mapping={h: h for h in self.mapping.headers()}, encoding=encoding)

    def check(self, table: Table) -> list[_Row]:
        rows, errors, warnings = _check(table, self.mapping, now=self.now, progress=self.progress or None)
        self.errors.extend(errors)
        self.warnings.extend(warnings)
        return rows

    def write(self, rows: list[_Row]) -> ImportReport:
        mapping, table = self.mapping, self.table
        created = _write(rows, mapping=mapping, target=self.target, table=table, now=self.now, scope_path=self.scope_path,
                         warnings=self.warnings)  # fmt: skip
        hours = [(r.ended_at - r.reported_at).total_seconds() / 3600 for r in rows if r.status == Status.CLOSED]
        return ImportReport(
            source=mapping.source, rows=len(table.rows), created=created, by_status=dict(Counter(r.status for r in rows)),
            median_hours=statistics.median(hours) if hours else None, warnings=self.warnings,
        )  # fmt: skip

    def conflict(self, rows: list[_Row]) -> list[RowError]:
        # Someone imported some of these while we checked: name them.
        clashes = _already_imported(self.mapping.source, rows, self.table.headers[self.mapping.external_id])
        return clashes or [RowError(None, "", "导入期间数据发生变化，本文件未导入，请重新导入")]


def _columns(mapping: Mapping) -> list[Column]:
    return [Column(h, h) for h in mapping.headers()]


def _target(region: Region | str) -> Region:
    if not isinstance(region, Region):
        found = Region.objects.filter(code=region).first()
        if found is None:
            raise MappingError(f"区域编码 {region} 不存在")
        region = found
    if region.level not in (RegionLevel.GRID, RegionLevel.MICRO_GRID):
        raise MappingError(f"{region.code}（{region.name}）是{RegionLevel(region.level).label}，导入的事件应落在网格或微网格")
    return region


def preview_cases(source: Any, *, mapping: Mapping, encoding: str | None = None, limit: int = 5) -> tuple[list[dict], list[RowError]]:
    """The first `limit` rows as the import would read them (our field -> value), and their problems,
    for the import page to show before anything is queued. TabularError-like problems of the file
    itself (a missing column, an unreadable file) come back as errors too."""
    try:
        table = read_table(source, columns=_columns(mapping), mapping={h: h for h in mapping.headers()}, encoding=encoding)
    except TabularError as exc:
        return [], [exc.as_row_error()]
    table.rows = table.rows[:limit]
    rows, errors, _ = _check(table, mapping, now=timezone.now())
    site = timezone.get_default_timezone()

    def shown(value: datetime | None) -> str:
        return f"{value.astimezone(site):%Y-%m-%d %H:%M}" if value else ""

    return [{"row": r.row, "external_id": r.external_id, "status": str(Status(r.status).label), "reported_at": shown(r.reported_at),
             "due_at": shown(r.due_at), "ended_at": shown(r.ended_at), "matter": r.matter.name, "address": r.address,
             "description": r.description} for r in rows], errors  # fmt: skip


def _check(table: Table, mapping: Mapping, *, now: datetime, progress=None) -> tuple[list[_Row], list[RowError], list[RowError]]:
    """Every row read and checked: (good rows, errors, warnings)."""
    at = {h: table.position(h) for h in mapping.headers()}
    header = table.headers
    times = _Times(mapping)
    statuses = mapping.status_map()
    matters = _Matters(mapping)
    seen: dict[str, int] = {}
    existing = _existing(mapping.source, [v[at[mapping.external_id]] for _, v in table.rows])
    category_at = [at[h] for h in mapping.category]
    description_at = [at[h] for h in mapping.description]
    good: list[_Row] = []
    errors: list[RowError] = []
    warnings: list[RowError] = []

    def cell(values: list[str], name: str) -> str:
        if not name:
            return ""
        value = values[at[name]]
        return "" if value in NULLS else value

    def time(row: int, values: list[str], name: str) -> datetime | None:
        try:
            value, note = times.parse(cell(values, name))
        except ValueError as exc:
            errors.append(RowError(row, header[name], str(exc)))
            return None
        if note:
            warnings.append(RowError(row, header[name], note))
        return value

    total = len(table.rows)
    for done, (row, values) in enumerate(table.rows):
        if progress is not None and done % 2000 == 0:
            progress(done, total)
        bad = len(errors)
        external_id = cell(values, mapping.external_id)
        if not external_id:
            errors.append(RowError(row, header[mapping.external_id], "编号为空"))
        elif len(external_id) > 64:
            errors.append(RowError(row, header[mapping.external_id], "编号超过64个字符"))
        elif external_id in seen:
            errors.append(RowError(row, header[mapping.external_id], f"与第{seen[external_id]}行的编号 {external_id} 重复"))
        elif external_id in existing:
            errors.append(RowError(row, header[mapping.external_id], f"编号 {external_id} 已从来源 {mapping.source} 导入过"))
        seen.setdefault(external_id, row)

        source_status = cell(values, mapping.status)
        if mapping.status:
            status = statuses.get(source_status.lower())
            if status is None:
                known = "、".join(sorted({k for k in statuses if k.isascii()}))
                errors.append(RowError(row, header[mapping.status], f"状态 {source_status or '（空）'} 无法识别（可用：{known}）"))
        else:
            status = Status.CLOSED if any(cell(values, h) for h in mapping.closed_at) else Status.ACCEPTED

        reported_at = ended_at = None
        if not cell(values, mapping.reported_at):
            errors.append(RowError(row, header[mapping.reported_at], "上报时间为空"))
        else:
            reported_at = time(row, values, mapping.reported_at)
            if reported_at is not None and reported_at > now:
                errors.append(RowError(row, header[mapping.reported_at], "上报时间晚于现在"))
        if status in (Status.CLOSED, Status.REJECTED):
            name = next((h for h in mapping.closed_at if cell(values, h)), "")
            if name:
                ended_at = time(row, values, name)
                if ended_at is not None and reported_at is not None and ended_at < reported_at:
                    if mapping.closed_before_reported == "clamp":
                        early = (reported_at - ended_at).total_seconds() / 3600
                        warnings.append(RowError(row, header[name], f"结束时间早于上报时间 {early:.2f} 小时，按上报时间计"))
                        ended_at = reported_at
                    else:
                        errors.append(RowError(row, header[name], "结束时间早于上报时间"))
            elif status == Status.CLOSED:
                column = header[mapping.closed_at[0]] if mapping.closed_at else header.get(mapping.status, "")
                errors.append(RowError(row, column, "状态为已结案，但没有结案时间"))

        due_at = None
        if cell(values, mapping.due_at):
            due_at = time(row, values, mapping.due_at)
            if due_at is not None and reported_at is not None and due_at < reported_at:
                errors.append(RowError(row, header[mapping.due_at], "办理时限早于上报时间"))

        position = None
        if mapping.point:
            position = _point(cell(values, mapping.point))
            column = mapping.point
        elif mapping.lat:
            position = _coordinates(cell(values, mapping.lat), cell(values, mapping.lon))
            column = mapping.lat
        if isinstance(position, str):
            errors.append(RowError(row, header[column], position))

        if len(errors) > bad:
            continue
        categories = tuple(v for i in category_at if (v := values[i]) not in NULLS)
        details = [v for i in description_at if (v := values[i]) not in NULLS]
        agency = cell(values, mapping.agency)
        lines = [" / ".join(dict.fromkeys(categories)), *dict.fromkeys(details), f"部门：{agency}" if agency else ""]
        good.append(_Row(row=row, external_id=external_id, status=status, source_status=source_status, reported_at=reported_at,
                         ended_at=ended_at, matter=matters(categories), position=position,
                         address=cell(values, mapping.address)[:200], description="\n".join(x for x in lines if x),
                         due_at=due_at))  # fmt: skip
    return good, errors, warnings


def _existing(source: str, ids: list[str]) -> set[str]:
    """Which of `ids` were imported from `source` before. Plain SQL: a Django `__in` prepares each
    value through the field, which for 10⁵ ids cost more than the query."""
    quote = connection.ops.quote_name
    # The unique index is partial (external_id != ''): repeating its condition lets SQLite use it.
    head = (f"SELECT {quote('external_id')} FROM {quote(Case._meta.db_table)} "
            f"WHERE {quote('external_source')} = %s AND {quote('external_id')} <> '' AND {quote('external_id')}")  # fmt: skip
    postgres = connection.vendor == "postgresql"
    found: set[str] = set()
    with connection.cursor() as cursor:
        for chunk in bulk.chunks(sorted(set(ids) - {""}), 20_000 if postgres else 900):
            if postgres:
                cursor.execute(f"{head} = ANY(%s)", [source, list(chunk)])
            else:
                cursor.execute(f"{head} IN ({', '.join(['%s'] * len(chunk))})", [source, *chunk])
            found.update(value for (value,) in cursor.fetchall())
    return found


def _already_imported(source: str, rows: list[_Row], column: str) -> list[RowError]:
    existing = _existing(source, [r.external_id for r in rows])
    return [RowError(r.row, column, f"编号 {r.external_id} 已从来源 {source} 导入过") for r in rows if r.external_id in existing]


def _grids(rows: list[_Row], mapping: Mapping, target: Region, *, scope_path: str = "",
           outside: list[int] | None = None) -> list[tuple[Region, Region | None, float | None, float | None]]:
    """(grid, micro-grid, lon, lat) per row: where its point falls, else the target. Points are
    located in one vectorised call and stored in WGS-84. A grid outside `scope_path` is taken as no
    grid of ours (its row is added to `outside`)."""
    fallback = (target.parent, target) if target.level == RegionLevel.MICRO_GRID else (target, None)
    placed = [r for r in rows if r.position is not None]
    lats = [r.position[0] for r in placed]
    lons = [r.position[1] for r in placed]
    found = {}
    if placed:
        if mapping.crs != WGS84:
            from yiwang.regions.coords import to_wgs84_arrays

            lons, lats = (list(a) for a in to_wgs84_arrays(lons, lats, mapping.crs))
        locations = lookup.locate_many(lons, lats)
        ids = {i for loc in locations if loc.found for i in (loc.grid_id, loc.micro_grid_id) if i}
        regions = Region.objects.in_bulk(ids)
        for r, loc, lon, lat in zip(placed, locations, lons, lats, strict=True):
            # .get: a grid deleted since the index was built (it lags by up to a second) is no grid.
            grid, micro = regions.get(loc.grid_id), regions.get(loc.micro_grid_id)
            if grid is not None and not grid.path.startswith(scope_path):
                grid = None
                if outside is not None:
                    outside.append(r.row)
            found[r.row] = (grid, micro, float(lon), float(lat)) if grid else (*fallback, float(lon), float(lat))
    return [found.get(r.row) or (*fallback, None, None) for r in rows]


# The columns _write gives, in its order: first those shared by every case of one matter, grid
# and status, then each case's own (its clock first). Every other column takes its field's default
# (or the import's constant), prepared once.
_CASE_COLUMNS = (
    "status", "matter_id", "matter_version_id", "board", "tier", "level", "region_id", "micro_grid_id", "handling_region_id",
    "step", "step_started_at", "step_warn_at", "step_due_at", "close_due_at", "deadline_note", "ever_overdue", "step_overdue",
    "id", "number", "lon", "lat", "address", "description", "external_id", "reported_at", "accepted_at", "rejected_at", "closed_at",
)  # fmt: skip
_EVENT_COLUMNS = ("case_id", "to_status", "note", "detail")
# Rows per batch handed to the writer thread: big enough that a batch costs little to hand over.
_WRITE_BATCH = 5000
_CLOCK_FIELDS = ("step", "step_started_at", "step_warn_at", "step_due_at", "close_due_at", "deadline_note")
NOTE_SOURCE_DUE = "时限取自来源系统"
NOTE_NO_SOURCE_DUE_CLOSED = "来源未提供办理时限，不判断是否按期"
NOTE_NO_SOURCE_DUE_OPEN = "来源未提供办理时限，按本系统事项时限自来源上报时间起算"


def _write(rows: list[_Row], *, mapping: Mapping, target: Region, table: Table, now: datetime, scope_path: str = "",
           warnings: list[RowError] | None = None) -> int:
    """Cases and their events as plain rows: a model instance per row (bulk_create) costs several
    times what the database does. Ids are reserved first, so numbers and events need no second pass.
    Runs inside the importer's transaction."""
    if not rows:
        return 0
    outside: list[int] = []
    places = _grids(rows, mapping, target, scope_path=scope_path, outside=outside)
    if warnings is not None and outside:
        column = table.headers.get(mapping.point or mapping.lat, "")
        warnings.extend(RowError(row, column, f"坐标位于您的管辖范围之外，归入{target.name}") for row in outside)
    site = timezone.get_default_timezone()
    db_time = bulk.db_datetime()
    file_label = table.source_name or "（上传数据）"
    # Each event's detail as JSON text, written here: json.dumps of a dict per row cost more than
    # the row's insert. Strings are escaped as json.dumps escapes them.
    quoted = encode_basestring_ascii
    source_json, file_json = quoted(mapping.source), quoted(file_label)
    versions = {m.id: current_version(m) for m in {r.matter for r in rows}}

    routes: dict[tuple[int, int], routing.Route] = {}
    groups: dict[tuple, tuple] = {}

    def shared(matter: MatterType, grid: Region, micro: Region | None, status: str) -> tuple:
        version = versions[matter.id]
        way = routes.get((matter.id, grid.id))
        if way is None:
            way = routes[(matter.id, grid.id)] = routing.route(matter_version=version, grid=grid, how_found=ACTOR_LABEL)
        return (status, matter.id, version.id, matter.board, way.tier, way.level, grid.id, micro.id if micro else None,
                way.region.id)  # fmt: skip

    ids = bulk.reserve_ids(Case, len(rows))
    # Everything the loop below would ask the database, asked before the writer takes the connection.
    for r, (grid, micro, _lon, _lat) in zip(rows, places, strict=True):
        key = (r.matter.id, grid.id, micro.id if micro else None, r.status)
        if key not in groups:
            groups[key] = shared(r.matter, grid, micro, r.status)
    chains = rollups.RegionChains({grid.id for grid, _micro, _lon, _lat in places})
    work_calendar.current()
    case_constants = {"channel": Channel.IMPORT, "external_source": mapping.source}
    event_constants = {"at": now, "actor_label": ACTOR_LABEL, "action": "import", "public": False}
    snapshots = []
    # The rows are built a batch at a time and written by a thread of their own meanwhile.
    with bulk.BackgroundWriter() as writer:
        for start in range(0, len(rows), _WRITE_BATCH):
            cases, events = [], []
            for pk, r, (grid, micro, lon, lat) in zip(ids[start:start + _WRITE_BATCH], rows[start:start + _WRITE_BATCH],
                                                     places[start:start + _WRITE_BATCH], strict=True):  # fmt: skip
                reported, ended, status = db_time(r.reported_at), db_time(r.ended_at), r.status
                head = groups[(r.matter.id, grid.id, micro.id if micro else None, status)]
                timing = _clock(versions[r.matter.id], r, now=now)
                cases.append((
                    *head, *[db_time(v) if isinstance(v, datetime) else v for v in timing], pk,
                    f"{r.reported_at.astimezone(site):%Y%m%d}{pk:06d}", lon, lat, r.address, r.description, r.external_id, reported,
                    reported if status in (Status.ACCEPTED, Status.CLOSED) else None, ended if status == Status.REJECTED else None,
                    ended if status == Status.CLOSED else None,
                ))  # fmt: skip
                detail = (f'{{"source": {source_json}, "external_id": {quoted(r.external_id)}, "file": {file_json}, "row": {r.row}, '
                          f'"source_status": {quoted(r.source_status)}}}')
                events.append((pk, status, f"{mapping.source} {r.external_id}", detail))
                # What the rollups count of this case (rollups.FIELDS), as the row just built holds it.
                snapshots.append((status, grid.id, micro.id if micro else None, r.matter.board, None, r.reported_at, timing[4],
                                  r.ended_at if status == Status.CLOSED else None, None, "", None, 0, 0, timing[6]))  # fmt: skip
            writer.add(Case, _CASE_COLUMNS, cases, constants=case_constants)
            writer.add(CaseEvent, _EVENT_COLUMNS, events, constants=event_constants)
        # Bulk rows bypass Case.save, which keeps the rollups otherwise: count them from the rows in hand.
        counted, created = rollups.count_snapshots(snapshots, chains=chains)
    rollups.write_counted(counted)
    audit.record(actor=None, action="cases.import", target_type="cases.case",
                 detail={"source": mapping.source, "file": file_label, "rows": len(table.rows), "created": created})
    return created


def _clock(version, row: _Row, *, now: datetime) -> tuple:
    """The clock columns of one case (see the module docstring), then ever_overdue and step_overdue.
    Closed and rejected cases: the source's deadline, or none. Open ones: the running step from the
    source's report time, and the source's deadline or else our matter's limits from that time."""
    due = row.due_at
    if row.status not in (Status.REPORTED, Status.ACCEPTED):
        if due is None:
            return ("", None, None, None, None, NOTE_NO_SOURCE_DUE_CLOSED, False, False)
        late = row.ended_at is not None and row.ended_at > due
        return ("", None, None, None, due, NOTE_SOURCE_DUE, late, False)
    calendar = work_calendar.current()
    case = Case(matter_version=version, status=row.status)
    clock.start_step(case, now=row.reported_at, calendar=calendar)
    if due is None:
        clock.set_close_due(case, start=row.reported_at, calendar=calendar)
        note = "；".join(n for n in (NOTE_NO_SOURCE_DUE_OPEN, case.deadline_note) if n)[:200]
    else:
        case.close_due_at, note = due, NOTE_SOURCE_DUE
        # A step is never due after the whole case.
        case.step_warn_at, case.step_due_at = min(case.step_warn_at, due), min(case.step_due_at, due)
    case.deadline_note = note
    step_late = case.step_due_at is not None and case.step_due_at < now
    return (*(getattr(case, f) for f in _CLOCK_FIELDS), case.close_due_at < now, step_late)
