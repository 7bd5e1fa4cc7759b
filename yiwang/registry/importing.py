"""Bulk import of the registry (人房地物) from CSV/.xlsx, and the columns its exports write.

Every import reads the whole file, checks every row and collects every problem as (row, column,
reason). One problem anywhere and nothing is written: the caller gets ImportFailed with the full
list, so a grid worker can fix the spreadsheet in one pass. A clean file is written in one
transaction, and an audit entry records who imported what.

Persons are the big tables (a street has 10⁵ residents), so their path is tuned: ID numbers are
checked in bulk, personal fields are sealed with the key state fetched once, and rows go to the
database with COPY on PostgreSQL and batched executemany on SQLite.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from yiwang.core import audit, crypto
from yiwang.core.exporting import write_xlsx
from yiwang.core.scope import Action, role_allows, scope_path
from yiwang.core.tabular import Column, ImportFailed, RowError, Table, TabularError, read_table
from yiwang.regions.models import Level, Region

from .models import (
    Building,
    BuildingUnit,
    Gender,
    House,
    Household,
    HouseUse,
    KeyGroup,
    Occupancy,
    Person,
    PersonTag,
    Place,
    PlaceKind,
    ResidenceType,
)
from .validators import MOBILE_RE, check_id_numbers, validate_credit_code, validate_id_number, validate_phone

BATCH_SIZE = 2000
REGION_CODE = Column("region_code", "网格编码", ("所属网格", "网格代码", "网格编号", "所属网格编码", "grid_code", "grid"), required=True)

PERSON_COLUMNS = (
    Column("name", "姓名", ("名字", "name"), required=True),
    Column("id_number", "身份证号", ("公民身份号码", "身份证号码", "身份证", "证件号码", "id_number", "idnumber", "id_no", "id_card"), required=True),
    Column("phone", "联系电话", ("手机号", "手机号码", "手机", "电话", "电话号码", "联系方式", "phone", "mobile")),
    Column("gender", "性别", ("gender", "sex")),
    Column("residence_type", "人口类型", ("户籍类型", "人员类型", "人口类别", "residence_type")),
    REGION_CODE,
    Column("household", "户编号", ("户号", "家庭户号", "household", "household_number")),
    Column("is_household_head", "是否户主", ("户主", "household_head", "is_household_head")),
    Column("tags", "重点人群", ("人员标签", "标签", "重点人群类别", "tags")),
    Column("address", "现住址", ("居住地址", "现居住地址", "住址", "地址", "address")),
)

HOUSE_COLUMNS = (
    Column("building_code", "楼栋编号", ("楼栋编码", "楼栋代码", "楼号编码", "building_code"), required=True),
    Column("building_name", "楼栋名称", ("楼栋", "楼栋名", "楼号", "building_name", "building")),
    Column("unit", "单元", ("单元号", "unit")),
    Column("number", "房号", ("房间号", "门牌号", "房屋编号", "house_number", "number", "room"), required=True),
    Column("floor", "楼层", ("所在楼层", "层", "floor")),
    Column("area", "面积(㎡)", ("面积", "建筑面积", "面积(平方米)", "房屋面积", "area", "area_m2")),
    Column("use", "用途", ("房屋用途", "use")),
    Column("occupancy", "居住状态", ("使用状态", "居住情况", "房屋状态", "occupancy")),
    REGION_CODE,
)

PLACE_COLUMNS = (
    Column("name", "名称", ("场所名称", "单位名称", "商户名称", "企业名称", "场所", "name"), required=True),
    Column("kind", "类别", ("场所类别", "场所类型", "单位类型", "类型", "kind"), required=True),
    Column("credit_code", "统一社会信用代码", ("信用代码", "社会信用代码", "credit_code", "uscc")),
    Column("address", "地址", ("场所地址", "经营地址", "详细地址", "address")),
    Column("contact_name", "联系人", ("负责人", "联系人姓名", "contact", "contact_name")),
    Column("phone", "联系电话", ("电话", "手机号", "联系方式", "phone")),
    Column("lon", "经度", ("lon", "lng", "longitude")),
    Column("lat", "纬度", ("lat", "latitude")),
    REGION_CODE,
)


@dataclass
class ImportReport:
    created: int
    updated: int
    rows: int
    warnings: list[RowError] = field(default_factory=list)


# --- shared pieces -----------------------------------------------------------------------------


def _check_role(acting_user: Any) -> None:
    if acting_user is not None and not role_allows(acting_user, Action.CHANGE):
        raise PermissionDenied("你的角色不能修改基础数据，不能导入")


def _read(source: Any, columns: Sequence[Column], mapping: Mapping[str, str] | None, encoding: str | None) -> Table:
    try:
        return read_table(source, columns=columns, mapping=mapping, encoding=encoding)
    except TabularError as exc:
        raise ImportFailed([exc.as_row_error()]) from None


def _ignored_warnings(table: Table) -> list[RowError]:
    return [RowError(table.header_row, header, "未识别的列，已忽略") for header in table.ignored]


def _chunk_size() -> int:
    # SQLite reports its variable limit; PostgreSQL's protocol allows 65535 parameters.
    return min(connection.features.max_query_params or 10000, 10000)


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _progress(total: int, *, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="行", file=sys.stderr, disable=not enabled, leave=False)


class _Headers:
    """The header a person sees for each field: the file's own, or ours if the column is absent."""

    def __init__(self, table: Table, columns: Sequence[Column]):
        self._names = {c.field: table.headers.get(c.field, c.header) for c in columns}

    def __getitem__(self, name: str) -> str:
        return self._names[name]


def _choices(choices: Iterable[tuple[str, str]], **extra: str) -> dict[str, str]:
    """Accepted spellings (label, code, extras; case-insensitive) -> stored value."""
    lookup = {}
    for value, label in choices:
        # Files may come from the Chinese or the English interface.
        for language in ("zh-hans", "en"):
            with translation.override(language):
                lookup[str(label).lower()] = value
        lookup[str(value).lower()] = value
    lookup.update({k.lower(): v for k, v in extra.items()})
    return lookup


class _Regions:
    """Grids and micro-grids named in a file, checked against the acting user's scope once per code."""

    def __init__(self, codes: Iterable[str], *, acting_user: Any):
        codes = sorted({c for c in codes if c})
        self._found: dict[str, tuple[int, str, str, str]] = {}
        for chunk in _chunks(codes, _chunk_size()):
            for code, pk, level, path, name in Region.objects.filter(code__in=chunk).values_list("code", "id", "level", "path", "name"):
                self._found[code] = (pk, level, path, name)
        self._prefix = scope_path(acting_user) if acting_user is not None else ""
        self._cache: dict[str, tuple[int | None, str]] = {}

    def resolve(self, code: str) -> tuple[int | None, str]:
        """(region id, "") or (None, why not)."""
        cached = self._cache.get(code)
        if cached is None:
            cached = self._cache[code] = self._resolve(code)
        return cached

    def _resolve(self, code: str) -> tuple[int | None, str]:
        if not code:
            return None, "网格编码为空"
        found = self._found.get(code)
        if found is None:
            return None, f"网格编码 {code} 不存在"
        pk, level, path, name = found
        if level not in (Level.GRID, Level.MICRO_GRID):
            return None, f"{code}（{name}）是{Level(level).label}，应填写网格或微网格的编码"
        if self._prefix is None or not path.startswith(self._prefix):
            return None, f"网格编码 {code} 不在你的数据范围内"
        return pk, ""

    def in_scope(self, path: str) -> bool:
        return self._prefix is not None and path.startswith(self._prefix)


def _length(value: str, limit: int) -> str:
    return f"超过{limit}个字（{len(value)}个字）" if len(value) > limit else ""


def _masked(value: str) -> bool:
    return "*" in value


def _file_label(table: Table) -> str:
    return table.source_name or "（上传数据）"


# --- persons -----------------------------------------------------------------------------------

_GENDERS = _choices(Gender.choices, 男性="M", 女性="F", male="M", female="F")
_RESIDENCE = _choices(ResidenceType.choices, 户籍="registered", 流动="floating", 常住="registered", 外来人口="floating")
_YES_NO = {"是": True, "否": False, "y": True, "n": False, "yes": True, "no": False, "true": True, "false": False,
           "1": True, "0": False, "户主": True, "√": True, "": False}  # fmt: skip
_TAGS = _choices(KeyGroup.choices)
_TAG_SPLIT = re.compile(r"[、,，;；|｜\s]+")

# Columns written for each person, in this order (attribute names; see _person_columns).
_PERSON_COLUMNS_SQL = (
    "name", "gender", "birth_date", "id_number_sealed", "id_number_digest", "phone_sealed", "phone_digest",
    "residence_type", "household_id", "is_household_head", "address", "created_at", "region_id",
)  # fmt: skip


def import_persons(
    *,
    source: Any,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    acting_user: Any = None,
    progress: bool = True,
) -> ImportReport:
    """Import persons (实有人口) from a CSV or .xlsx file; all rows or none.

    Raises ImportFailed listing every bad row, PermissionDenied if the role cannot change data.
    """
    _check_role(acting_user)
    table = _read(source, PERSON_COLUMNS, mapping, encoding)
    plan = _PersonPlan(table, acting_user=acting_user, progress=progress)
    plan.validate()
    if plan.errors:
        raise ImportFailed(plan.errors)
    try:
        with transaction.atomic():
            created = plan.write()
            audit.record(actor=acting_user, action="registry.import", target_type="registry.person",
                         detail={"kind": "persons", "file": _file_label(table), "rows": len(table.rows), "created": created})  # fmt: skip
    except IntegrityError:
        # Someone registered one of these people (or households) while we checked: say which rows.
        plan.errors = []
        plan.check_database()
        if plan.errors:
            raise ImportFailed(plan.errors) from None
        raise
    return ImportReport(created=created, updated=0, rows=len(table.rows), warnings=plan.warnings)


class _PersonPlan:
    """Checks a persons table row by row, then writes it. Clear ID numbers and phones stay in
    memory only; they are sealed on the way to the database."""

    def __init__(self, table: Table, *, acting_user: Any, progress: bool):
        self.table = table
        self.acting_user = acting_user
        self.progress = progress
        self.header = _Headers(table, PERSON_COLUMNS)
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = _ignored_warnings(table)
        # One per good row, in _PERSON_COLUMNS_SQL order but holding the clear ID number and phone,
        # the household number and no timestamp until write() seals and completes it in place.
        self.records: list[list] = []
        self.row_of_digest: dict[str, int] = {}
        self.tags_of_digest: dict[str, list[str]] = {}
        # Household number -> (region id, first row) for households this file creates.
        self.new_households: dict[str, tuple[int, int]] = {}
        self.household_ids: dict[str, int] = {}

    def error(self, row: int, name: str, reason: str) -> None:
        self.errors.append(RowError(row, self.header[name], reason))

    def validate(self) -> None:
        rows = self.table.rows
        position = self.table.position
        at_name, at_id, at_region = position("name"), position("id_number"), position("region_code")
        at_phone, at_gender, at_residence = position("phone"), position("gender"), position("residence_type")
        at_household, at_head, at_tags, at_address = position("household"), position("is_household_head"), position("tags"), position("address")
        regions = _Regions((v[at_region] for _, v in rows), acting_user=self.acting_user)
        existing_households = self._existing_households(set() if at_household is None else {v[at_household] for _, v in rows})
        today = timezone.localdate()
        # Cells are trimmed already; only a lower-case check char x needs normalising.
        numbers = [n[:-1] + "X" if (n := v[at_id]).endswith("x") else n for _, v in rows]
        valid_ids = check_id_numbers(numbers, today=today)
        digests = crypto.digest_many([n if ok else "" for n, ok in zip(numbers, valid_ids, strict=True)])
        mobile = MOBILE_RE.fullmatch
        error = self.error
        records = self.records
        row_of_digest = self.row_of_digest
        first_row_of_id: dict[str, int] = {}
        heads: dict[str, int] = {}
        registered = ResidenceType.REGISTERED.value

        bar = _progress(len(rows), desc="校验", enabled=self.progress)
        for i, (row, v) in enumerate(rows):
            if i % 1000 == 999:
                bar.update(1000)
            bad = len(self.errors)

            name = v[at_name]
            if not name:
                error(row, "name", "姓名为空")
            elif len(name) > 50:
                error(row, "name", _length(name, 50))

            number = numbers[i]
            gender = birth = id_digest = ""
            if valid_ids[i]:
                birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
                gender = "M" if (ord(number[16]) - 48) % 2 else "F"
                earlier = first_row_of_id.setdefault(number, row)
                if earlier != row:
                    error(row, "id_number", f"与第{earlier}行的身份证号重复")
                else:
                    id_digest = digests[i]
                    row_of_digest[id_digest] = row
            elif _masked(number):
                error(row, "id_number", "身份证号已脱敏（含 *），导出的文件不能再导入，请填写完整号码")
            else:
                try:
                    validate_id_number(number, today=today)
                except ValidationError as exc:
                    error(row, "id_number", exc.messages[0])

            phone = "" if at_phone is None else v[at_phone]
            if phone and mobile(phone) is None:  # most are plain mobile numbers
                if _masked(phone):
                    error(row, "phone", "电话已脱敏（含 *），请填写完整号码")
                else:
                    try:
                        phone = validate_phone(phone)
                    except ValidationError as exc:
                        error(row, "phone", exc.messages[0])

            if at_gender is not None and (given := v[at_gender]):
                stated = _GENDERS.get(given.lower())
                if stated is None:
                    error(row, "gender", f"性别 {given} 无法识别，应为 男 或 女")
                elif gender and stated != gender:
                    error(row, "gender", f"与身份证号不符（身份证号显示为{Gender(gender).label}）")

            residence = registered
            if at_residence is not None and (given := v[at_residence]):
                residence = _RESIDENCE.get(given.lower())
                if residence is None:
                    error(row, "residence_type", f"人口类型 {given} 无法识别，应为 户籍 或 流动")

            region_id, why = regions.resolve(v[at_region])
            if why:
                error(row, "region_code", why)

            household = "" if at_household is None else v[at_household]
            if household:
                self._check_household(row, household, region_id, existing_households)

            is_head = False
            if at_head is not None:
                given = v[at_head]
                is_head = _YES_NO.get(given.lower())
                if is_head is None:
                    error(row, "is_household_head", f"是否户主 {given} 无法识别，应为 是 或 否")
                elif is_head and not household:
                    error(row, "is_household_head", "户主需要填写户编号")
                elif is_head:
                    earlier = heads.setdefault(household, row)
                    if earlier != row:
                        self.warnings.append(RowError(row, self.header["is_household_head"], f"户 {household} 在第{earlier}行已有户主"))

            if at_tags is not None and (given := v[at_tags]):
                tags = self._tags(row, given)
                if tags and id_digest:
                    self.tags_of_digest[id_digest] = tags

            address = "" if at_address is None else v[at_address]
            if len(address) > 200:
                error(row, "address", _length(address, 200))

            if len(self.errors) == bad:
                records.append([name, gender, birth, number, id_digest, phone, "", residence, household, is_head, address, None, region_id])
        bar.update(len(rows) % 1000)
        bar.close()
        self.check_database()

    def _tags(self, row: int, given: str) -> list[str]:
        tags: list[str] = []
        for label in _TAG_SPLIT.split(given):
            if not label:
                continue
            tag = _TAGS.get(label.lower())
            if tag is None:
                self.error(row, "tags", f"未知的重点人群 {label}（可用：{'、'.join(map(str, KeyGroup.labels))}）")
            elif tag not in tags:
                tags.append(tag)
        return tags

    def _existing_households(self, numbers: set[str]) -> dict[str, tuple[int, int]]:
        numbers = sorted(n for n in numbers if n)
        found = {}
        for chunk in _chunks(numbers, _chunk_size()):
            for number, pk, region_id in Household.objects.filter(number__in=chunk).values_list("number", "id", "region_id"):
                found[number] = (pk, region_id)
        self.household_ids = {n: pk for n, (pk, _) in found.items()}
        return found

    def _check_household(self, row: int, number: str, region_id: int | None, existing: dict[str, tuple[int, int]]) -> None:
        if len(number) > 40:
            self.error(row, "household", _length(number, 40))
            return
        if region_id is None:
            return  # the region error already explains the row
        known = existing.get(number)
        if known is not None:
            if known[1] != region_id:
                self.error(row, "household", f"户 {number} 已登记在另一个网格，与本行网格编码不一致")
            return
        first = self.new_households.setdefault(number, (region_id, row))
        if first[0] != region_id:
            self.error(row, "household", f"户 {number} 在第{first[1]}行属于另一个网格，同一户应在同一网格")

    def check_database(self) -> None:
        """Rows whose ID number is registered already, and households someone created meanwhile."""
        found = dict(_existing_values(Person, "id_number_digest", list(self.row_of_digest), also="id"))
        # Inside the importer's scope the row may name the record; outside it, the row says only
        # that it conflicts and whom to ask, never where the person lives.
        visible = Person.objects.all() if self.acting_user is None else Person.objects.restrict(self.acting_user)
        known: dict[int, tuple[str, str]] = {}
        for chunk in _chunks(list(found.values()), _chunk_size()):
            known.update((pk, (name, region)) for pk, name, region in visible.filter(pk__in=chunk).values_list("pk", "name", "region__name"))
        for digest, person_id in found.items():
            if person_id in known:
                name, region = known[person_id]
                reason = f"该身份证号已登记：{name}（{region}）"
            else:
                reason = "该身份证号与您数据范围之外的登记记录冲突，请联系街道管理员核实"
            self.error(self.row_of_digest[digest], "id_number", reason)
        for number in _existing_values(Household, "number", list(self.new_households)):
            self.error(self.new_households[number][1], "household", f"户 {number} 刚被他人登记，请重新导入")

    def write(self) -> int:
        if self.new_households:
            Household.objects.bulk_create(
                [Household(number=n, region_id=region_id) for n, (region_id, _) in self.new_households.items()], batch_size=BATCH_SIZE
            )
            for chunk in _chunks(list(self.new_households), _chunk_size()):
                self.household_ids.update(Household.objects.filter(number__in=chunk).values_list("number", "id"))
        bar = _progress(len(self.records), desc="写入", enabled=self.progress)
        if connection.vendor == "postgresql":
            _copy_persons(self.records, self.household_ids, bar)
        else:
            _insert_persons(self.records, self.household_ids, bar)
        bar.close()
        if self.tags_of_digest:
            # Plain rows again: model instances send init signals, which for 10³ tags add up.
            person_ids = dict(_existing_values(Person, "id_number_digest", list(self.tags_of_digest), also="id"))
            pairs = [(person_ids[d], tag) for d, tags in self.tags_of_digest.items() for tag in tags]
            quote = connection.ops.quote_name
            columns = [PersonTag._meta.get_field(name).column for name in ("person", "tag")]
            sql = f"INSERT INTO {quote(PersonTag._meta.db_table)} ({', '.join(map(quote, columns))}) VALUES (%s, %s)"
            with connection.cursor() as cursor:
                for batch in _chunks(pairs, BATCH_SIZE):
                    cursor.executemany(sql, batch)
        return len(self.records)


def _existing_values(model, name: str, values: Sequence[str], *, also: str | None = None) -> list:
    """Which of `values` the column already holds (with column `also` beside each, if named).
    Plain SQL: a Django `__in` prepares every value through the field, which for 10⁵ digests
    costs more than the query itself."""
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(model._meta.get_field(name).column)
    selected = column if also is None else f"{column}, {quote(model._meta.get_field(also).column)}"
    found: list = []
    with connection.cursor() as cursor:
        for chunk in _chunks(values, _chunk_size()):
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT {selected} FROM {table} WHERE {column} = ANY(%s)", [list(chunk)])
            else:
                cursor.execute(f"SELECT {selected} FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(chunk))})", list(chunk))
            rows = cursor.fetchall()
            found.extend(rows if also else (value for (value,) in rows))
    return found


def _person_columns() -> list[str]:
    fields = {f.attname: f.column for f in Person._meta.concrete_fields}
    return [fields[name] for name in _PERSON_COLUMNS_SQL]


def _sealed_rows(records: Sequence[list], household_ids: Mapping[str, int], created_at: Any) -> Sequence[list]:
    """The records completed in place: ID number and phone sealed, household id, timestamp."""
    phones = [r[5] for r in records]
    sealed_ids = crypto.encrypt_many([r[3] for r in records])
    sealed_phones, phone_digests = crypto.encrypt_many(phones), crypto.digest_many(phones)
    for record, id_sealed, phone_sealed, phone_digest in zip(records, sealed_ids, sealed_phones, phone_digests, strict=True):
        record[3], record[5], record[6], record[11] = id_sealed, phone_sealed, phone_digest, created_at
        if record[8]:
            record[8] = household_ids[record[8]]
        else:
            record[8] = None
    return records


def _insert_persons(records: Sequence[tuple], household_ids: Mapping[str, int], bar) -> None:
    """Batched executemany of plain tuples: bulk_create would build a model instance per row,
    which costs more than everything else in the import together."""
    quote = connection.ops.quote_name
    columns = _person_columns()
    sql = f"INSERT INTO {quote(Person._meta.db_table)} ({', '.join(map(quote, columns))}) VALUES ({', '.join(['%s'] * len(columns))})"
    # The backend's text form of the timestamp, adapted once instead of per row.
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        grow_cache = connection.vendor == "sqlite"
        if grow_cache:
            # The digest indexes take random inserts; with SQLite's default 2 MB page cache most of
            # them miss. 64 MB for this transaction, the connection's own setting again after.
            cursor.execute("PRAGMA cache_size")
            (cache_size,) = cursor.fetchone()
            cursor.execute("PRAGMA cache_size = -65536")
        try:
            for batch in _chunks(records, BATCH_SIZE):
                cursor.executemany(sql, _sealed_rows(batch, household_ids, created_at))
                bar.update(len(batch))
        finally:
            if grow_cache:
                cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_text(value: str) -> str:
    return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value


def _copy_persons(records: Sequence[tuple], household_ids: Mapping[str, int], bar) -> None:
    """COPY … FROM STDIN in PostgreSQL's text format, written by hand: psycopg's write_row adapts
    each value on its own, which costs more than sealing it. The server stores one batch while we
    seal the next."""
    quote = connection.ops.quote_name
    columns = _person_columns()
    sql = f"COPY {quote(Person._meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    created_at = timezone.now().isoformat()
    # The raw psycopg cursor skips Django's error translation; wrap it so a unique violation
    # still arrives as django.db.IntegrityError.
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for batch in _chunks(records, BATCH_SIZE):
            lines = []
            for row in _sealed_rows(batch, household_ids, created_at):
                (name, gender, birth, id_sealed, id_digest, phone_sealed, phone_digest,
                 residence, household_id, is_head, address, now, region_id) = row  # fmt: skip
                lines.append(
                    f"{_copy_text(name)}\t{gender}\t{birth or '\\N'}\t{id_sealed}\t{id_digest}\t{phone_sealed}\t{phone_digest}\t"
                    f"{residence}\t{'\\N' if household_id is None else household_id}\t{'t' if is_head else 'f'}\t"
                    f"{_copy_text(address)}\t{now}\t{region_id}\n"
                )
            copy.write("".join(lines))
            bar.update(len(batch))


# --- houses ------------------------------------------------------------------------------------

_USES = _choices(HouseUse.choices, 商住="mixed")
_OCCUPANCY = _choices(Occupancy.choices, 闲置="vacant", 租住="rented", 出租屋="rented")
_AREA_UNITS = re.compile(r"(㎡|m2|m²|平方米|平米)$", re.IGNORECASE)
_CENT = Decimal("0.01")


def _unit_number(value: str) -> str:
    return value[:-2] if value.endswith("单元") else value


def import_houses(
    *,
    source: Any,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    acting_user: Any = None,
    progress: bool = True,
) -> ImportReport:
    """Import houses (房屋), creating buildings and units as needed. A house that exists already
    (same building, unit and number) is updated with the non-empty cells of its row."""
    _check_role(acting_user)
    table = _read(source, HOUSE_COLUMNS, mapping, encoding)
    header = _Headers(table, HOUSE_COLUMNS)
    rows = list(table.dicts())
    errors: list[RowError] = []
    warnings = _ignored_warnings(table)

    def error(row: int, name: str, reason: str) -> None:
        errors.append(RowError(row, header[name], reason))

    regions = _Regions((v.get("region_code", "") for _, v in rows), acting_user=acting_user)
    codes = sorted({v["building_code"] for _, v in rows if v.get("building_code")})
    buildings = {b.code: b for b in Building.objects.filter(code__in=codes).select_related("region")}
    units = {(u.building_id, u.number): u for u in BuildingUnit.objects.filter(building__in=buildings.values())}
    houses = {(h.building_id, h.unit_id, h.number): h for h in House.objects.filter(building__in=buildings.values()).select_related("region")}

    new_buildings: dict[str, tuple[str, int, int]] = {}  # code -> (name, region id, first row)
    seen: dict[tuple[str, str, str], int] = {}
    plans: list[tuple[int, dict]] = []  # (row, cleaned values)
    bar = _progress(len(rows), desc="校验", enabled=progress)
    for row, v in rows:
        bar.update(1)
        clean: dict[str, Any] = {}
        region_id, why = regions.resolve(v.get("region_code", ""))
        if why:
            error(row, "region_code", why)
        clean["region_id"] = region_id

        code = v.get("building_code", "")
        building_name = v.get("building_name", "")
        if not code:
            error(row, "building_code", "楼栋编号为空")
        elif len(code) > 40:
            error(row, "building_code", _length(code, 40))
        elif code in buildings:
            building = buildings[code]
            if not regions.in_scope(building.region.path):
                error(row, "building_code", f"楼栋 {code} 不在你的数据范围内")
            elif building_name and building_name != building.name:
                warnings.append(RowError(row, header["building_name"], f"楼栋 {code} 已登记为“{building.name}”，名称未修改"))
        elif code not in new_buildings:
            if not building_name:
                error(row, "building_name", f"楼栋 {code} 尚未登记，新楼栋需要填写楼栋名称")
            elif len(building_name) > 100:
                error(row, "building_name", _length(building_name, 100))
            elif region_id is not None:
                new_buildings[code] = (building_name, region_id, row)

        unit = _unit_number(v.get("unit", ""))
        if len(unit) > 20:
            error(row, "unit", _length(unit, 20))
        number = v.get("number", "")
        if not number:
            error(row, "number", "房号为空")
        elif len(number) > 20:
            error(row, "number", _length(number, 20))
        key = (code, unit, number)
        if code and number:
            if key in seen:
                error(row, "number", f"与第{seen[key]}行是同一套房屋（楼栋、单元、房号都相同）")
            else:
                seen[key] = row

        if floor := v.get("floor", "").removesuffix("层").removesuffix("楼"):
            try:
                clean["floor"] = int(floor)
                if not -20 <= clean["floor"] <= 300:
                    error(row, "floor", f"楼层 {floor} 超出范围（-20 至 300）")
            except ValueError:
                error(row, "floor", f"楼层 {floor} 不是整数")
        if area := _AREA_UNITS.sub("", v.get("area", "")).strip():
            try:
                clean["area_m2"] = Decimal(area).quantize(_CENT, rounding=ROUND_HALF_UP)
                if not Decimal(0) < clean["area_m2"] < Decimal(1000000):
                    error(row, "area", f"面积 {area} 超出范围（应大于0、小于1000000）")
            except InvalidOperation:
                error(row, "area", f"面积 {area} 不是数字")
        if use := v.get("use", ""):
            clean["use"] = _USES.get(use.lower())
            if clean["use"] is None:
                error(row, "use", f"用途 {use} 无法识别（可用：{'、'.join(HouseUse.labels)}）")
        if occupancy := v.get("occupancy", ""):
            clean["occupancy"] = _OCCUPANCY.get(occupancy.lower())
            if clean["occupancy"] is None:
                error(row, "occupancy", f"居住状态 {occupancy} 无法识别（可用：{'、'.join(Occupancy.labels)}）")

        building = buildings.get(code)
        if building is not None and number:
            # A unit we have not seen yet means a new house; otherwise look the house up.
            unit_row = units.get((building.pk, unit)) if unit else None
            existing = None if unit and unit_row is None else houses.get((building.pk, unit_row and unit_row.pk, number))
            if existing is not None and not regions.in_scope(existing.region.path):
                error(row, "number", "该房屋不在你的数据范围内")
        plans.append((row, {"code": code, "unit": unit, "number": number, **clean}))
    bar.close()
    if errors:
        raise ImportFailed(errors)

    try:
        created, updated = _write_houses(
            plans=plans, buildings=buildings, units=units, houses=houses, new_buildings=new_buildings,
            acting_user=acting_user, table=table, rows=rows,
        )
    except IntegrityError:
        # Another import created one of these buildings, units or houses after we checked.
        raise ImportFailed([RowError(None, "", "导入期间有人同时登记了相同的楼栋、单元或房屋，本文件未导入，请重新导入")]) from None
    return ImportReport(created=created, updated=updated, rows=len(rows), warnings=warnings)


def _write_houses(*, plans, buildings, units, houses, new_buildings, acting_user, table, rows) -> tuple[int, int]:
    with transaction.atomic():
        if new_buildings:
            Building.objects.bulk_create(
                [Building(code=c, name=n, region_id=r) for c, (n, r, _) in new_buildings.items()], batch_size=BATCH_SIZE
            )
            buildings.update((b.code, b) for b in Building.objects.filter(code__in=list(new_buildings)))
        wanted_units = {(buildings[p["code"]].pk, p["unit"]) for _, p in plans if p["unit"]}
        missing_units = [BuildingUnit(building_id=b, number=u) for b, u in wanted_units if (b, u) not in units]
        if missing_units:
            BuildingUnit.objects.bulk_create(missing_units, batch_size=BATCH_SIZE)
            units.update(
                ((u.building_id, u.number), u)
                for u in BuildingUnit.objects.filter(building_id__in={u.building_id for u in missing_units})
            )
        to_create: list[House] = []
        to_update: list[House] = []
        changed_fields: set[str] = set()
        for _, p in plans:
            building = buildings[p["code"]]
            unit_id = units[(building.pk, p["unit"])].pk if p["unit"] else None
            values = {k: p[k] for k in ("region_id", "floor", "area_m2", "use", "occupancy") if k in p}
            house = houses.get((building.pk, unit_id, p["number"]))
            if house is None:
                to_create.append(House(building=building, unit_id=unit_id, number=p["number"], **values))
            else:
                for name, value in values.items():
                    setattr(house, name, value)
                changed_fields.update(values)
                to_update.append(house)
        House.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        if to_update:
            House.objects.bulk_update(to_update, sorted(changed_fields), batch_size=500)
        created, updated = len(to_create), len(to_update)
        audit.record(actor=acting_user, action="registry.import", target_type="registry.house",
                     detail={"kind": "houses", "file": _file_label(table), "rows": len(rows), "created": created,
                             "updated": updated, "buildings_created": len(new_buildings), "units_created": len(missing_units)})
    return created, updated


# --- places ------------------------------------------------------------------------------------

_PLACE_KINDS = _choices(PlaceKind.choices, 门店="shop", 商户="shop", 医院="hospital", 诊所="hospital")


def _coordinate(value: str, low: float, high: float) -> float | str:
    """The number, or why it is not one."""
    try:
        number = float(value)
    except ValueError:
        return f"{value} 不是数字"
    if not low <= number <= high:
        return f"{value} 超出范围（{low:g} 至 {high:g}）"
    return number


def import_places(
    *,
    source: Any,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    acting_user: Any = None,
    progress: bool = True,
) -> ImportReport:
    """Import places (场所单位). A row whose credit code matches one registered place updates it."""
    _check_role(acting_user)
    table = _read(source, PLACE_COLUMNS, mapping, encoding)
    header = _Headers(table, PLACE_COLUMNS)
    rows = list(table.dicts())
    errors: list[RowError] = []

    def error(row: int, name: str, reason: str) -> None:
        errors.append(RowError(row, header[name], reason))

    regions = _Regions((v.get("region_code", "") for _, v in rows), acting_user=acting_user)
    codes = {v.get("credit_code", "").upper() for _, v in rows} - {""}
    by_code: dict[str, list[Place]] = {}
    for place in Place.objects.filter(credit_code__in=sorted(codes)).select_related("region"):
        by_code.setdefault(place.credit_code, []).append(place)
    seen: dict[str, int] = {}
    plans: list[tuple[Place | None, dict]] = []
    bar = _progress(len(rows), desc="校验", enabled=progress)
    for row, v in rows:
        bar.update(1)
        values: dict[str, Any] = {}
        region_id, why = regions.resolve(v.get("region_code", ""))
        if why:
            error(row, "region_code", why)
        values["region_id"] = region_id
        for name, limit in (("name", 150), ("address", 200), ("contact_name", 50)):
            text = v.get(name, "")
            if len(text) > limit:
                error(row, name, _length(text, limit))
            values[name] = text
        if not values["name"]:
            error(row, "name", "名称为空")

        kind = v.get("kind", "")
        values["kind"] = _PLACE_KINDS.get(kind.lower())
        if not kind:
            error(row, "kind", "类别为空")
        elif values["kind"] is None:
            error(row, "kind", f"类别 {kind} 无法识别（可用：{'、'.join(map(str, PlaceKind.labels))}）")

        existing = None
        code = v.get("credit_code", "")
        values["credit_code"] = ""
        if code:
            try:
                code = values["credit_code"] = validate_credit_code(code)
            except ValidationError as exc:
                error(row, "credit_code", exc.messages[0])
            else:
                if code in seen:
                    error(row, "credit_code", f"与第{seen[code]}行的统一社会信用代码重复")
                seen.setdefault(code, row)
                matches = by_code.get(code, [])
                if len(matches) > 1:
                    error(row, "credit_code", f"已有{len(matches)}个场所使用这个信用代码，无法确定更新哪一个")
                elif matches:
                    existing = matches[0]
                    if not regions.in_scope(existing.region.path):
                        error(row, "credit_code", "使用这个信用代码的场所不在你的数据范围内")

        phone = v.get("phone", "")
        if phone:
            try:
                phone = validate_phone(phone)
            except ValidationError as exc:
                error(row, "phone", exc.messages[0] if not _masked(phone) else "电话已脱敏（含 *），请填写完整号码")
        values["phone"] = phone

        lon, lat = v.get("lon", ""), v.get("lat", "")
        values["lon"] = values["lat"] = None
        if bool(lon) != bool(lat):
            error(row, "lon" if not lon else "lat", "经度和纬度应同时填写或同时留空")
        elif lon:
            for name, text, limit in (("lon", lon, 180), ("lat", lat, 90)):
                value = _coordinate(text, -limit, limit)
                if isinstance(value, str):
                    swapped = name == "lat" and not isinstance(_coordinate(lat, -180, 180), str) and not isinstance(_coordinate(lon, -90, 90), str)
                    error(row, name, ("经度" if name == "lon" else "纬度") + value + ("；经度和纬度是否填反了？" if swapped else ""))
                else:
                    values[name] = value
        plans.append((existing, values))
    bar.close()
    if errors:
        raise ImportFailed(errors)

    to_create: list[Place] = []
    to_update: list[Place] = []
    for existing, values in plans:
        phone = values.pop("phone")
        place = existing or Place()
        for name, value in values.items():
            # An update keeps what the row leaves empty.
            if existing is None or value not in ("", None):
                setattr(place, name, value)
        if phone or existing is None:
            place.phone_sealed, place.phone_digest = crypto.encrypt(phone), crypto.digest(phone)
        (to_update if existing else to_create).append(place)
    with transaction.atomic():
        Place.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        if to_update:
            fields = ["region", "name", "kind", "credit_code", "address", "contact_name", "phone_sealed", "phone_digest", "lon", "lat"]
            Place.objects.bulk_update(to_update, fields, batch_size=500)
        audit.record(actor=acting_user, action="registry.import", target_type="registry.place",
                     detail={"kind": "places", "file": _file_label(table), "rows": len(rows),
                             "created": len(to_create), "updated": len(to_update)})
    return ImportReport(created=len(to_create), updated=len(to_update), rows=len(rows), warnings=_ignored_warnings(table))


# --- export ------------------------------------------------------------------------------------
# Headers are the importers' own, so an exported sheet is recognised column for column; ID numbers
# and phones are masked, so such a sheet is for reading, not for importing back. Rows are plain
# dicts from .values(): a model instance per row would cost more than writing the sheet.

_GENDER_LABELS = dict(Gender.choices)
_RESIDENCE_LABELS = dict(ResidenceType.choices)
_TAG_LABELS = dict(KeyGroup.choices)
_USE_LABELS = dict(HouseUse.choices)
_OCCUPANCY_LABELS = dict(Occupancy.choices)
_KIND_LABELS = dict(PlaceKind.choices)


def _local(value) -> str:
    # The wall time in the site's zone, to the minute (timezone.localtime per row is slow).
    return value.astimezone(timezone.get_default_timezone()).isoformat(sep=" ", timespec="minutes")[:16] if value else ""


def _masked_id(row: dict) -> str:
    return crypto.mask_id_number(crypto.decrypt(row["id_number_sealed"]))


def _masked_phone(row: dict) -> str:
    return crypto.mask_phone(crypto.decrypt(row["phone_sealed"]))


PERSON_EXPORT_COLUMNS: list[tuple[str, Callable[[dict], Any]]] = [
    ("姓名", lambda r: r["name"]),
    ("身份证号", _masked_id),
    ("性别", lambda r: _GENDER_LABELS.get(r["gender"], "")),
    # The year only: a full birth date would restore the masked middle of the ID number.
    ("出生年份", lambda r: r["birth_date"].year if r["birth_date"] else ""),
    ("联系电话", _masked_phone),
    ("人口类型", lambda r: _RESIDENCE_LABELS.get(r["residence_type"], r["residence_type"])),
    ("网格编码", lambda r: r["region__code"]),
    ("网格名称", lambda r: r["region__name"]),
    ("户编号", lambda r: r["household__number"] or ""),
    ("是否户主", lambda r: "是" if r["is_household_head"] else "否"),
    ("重点人群", lambda r: "、".join(str(_TAG_LABELS.get(t, t)) for t in r["tags"])),
    ("现住址", lambda r: r["address"]),
    ("登记时间", lambda r: _local(r["created_at"])),
]

HOUSE_EXPORT_COLUMNS: list[tuple[str, Callable[[dict], Any]]] = [
    ("楼栋编号", lambda r: r["building__code"]),
    ("楼栋名称", lambda r: r["building__name"]),
    ("单元", lambda r: r["unit__number"] or ""),
    ("房号", lambda r: r["number"]),
    ("楼层", lambda r: r["floor"]),
    ("面积(㎡)", lambda r: r["area_m2"]),
    ("用途", lambda r: _USE_LABELS.get(r["use"], r["use"])),
    ("居住状态", lambda r: _OCCUPANCY_LABELS.get(r["occupancy"], r["occupancy"])),
    ("网格编码", lambda r: r["region__code"]),
    ("网格名称", lambda r: r["region__name"]),
]

PLACE_EXPORT_COLUMNS: list[tuple[str, Callable[[dict], Any]]] = [
    ("名称", lambda r: r["name"]),
    ("类别", lambda r: _KIND_LABELS.get(r["kind"], r["kind"])),
    ("统一社会信用代码", lambda r: r["credit_code"]),
    ("地址", lambda r: r["address"]),
    ("联系人", lambda r: r["contact_name"]),
    ("联系电话", _masked_phone),
    ("经度", lambda r: r["lon"]),
    ("纬度", lambda r: r["lat"]),
    ("网格编码", lambda r: r["region__code"]),
    ("网格名称", lambda r: r["region__name"]),
]

_EXPORT_VALUES = {
    "persons": ("id", "name", "id_number_sealed", "gender", "birth_date", "phone_sealed", "residence_type", "region__code",
                "region__name", "household__number", "is_household_head", "address", "created_at"),
    "houses": ("building__code", "building__name", "unit__number", "number", "floor", "area_m2", "use", "occupancy",
               "region__code", "region__name"),
    "places": ("name", "kind", "credit_code", "address", "contact_name", "phone_sealed", "lon", "lat", "region__code", "region__name"),
}  # fmt: skip

EXPORTS = {
    "persons": (Person, PERSON_EXPORT_COLUMNS, "实有人口"),
    "houses": (House, HOUSE_EXPORT_COLUMNS, "房屋"),
    "places": (Place, PLACE_EXPORT_COLUMNS, "场所单位"),
}


def export_queryset(kind: str, *, user: Any = None, region: Region | None = None):
    """What an export of `kind` contains, in a stable order: restricted to what `user` may export
    when a user is given (the command line without --user exports everything), optionally to one
    region's subtree."""
    model = EXPORTS[kind][0]
    queryset = model.objects.all()
    if user is not None:
        queryset = queryset.restrict(user, Action.EXPORT)
    if region is not None:
        queryset = queryset.filter(region__path__startswith=region.path)
    if kind == "houses":
        return queryset.order_by("building__code", "unit__number", "number", "id")
    return queryset.order_by("id")


def _with_tags(rows: Iterable[dict]) -> Iterable[dict]:
    """Person rows with their tag codes under "tags", fetched one chunk of persons at a time."""
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == BATCH_SIZE:
            yield from _attach_tags(chunk)
            chunk = []
    yield from _attach_tags(chunk)


def _attach_tags(chunk: list[dict]) -> list[dict]:
    tags: dict[int, list[str]] = {}
    if chunk:
        for person_id, tag in PersonTag.objects.filter(person_id__in=[r["id"] for r in chunk]).order_by("tag").values_list("person_id", "tag"):
            tags.setdefault(person_id, []).append(tag)
    for row in chunk:
        row["tags"] = tags.get(row["id"], [])
    return chunk


def export_audited(kind: str, *, user: Any = None, region: Region | None = None, channel: str, file: str = "") -> tuple[bytes, int]:
    """Export what `user` may export (everything when None, from the command line), and record
    who exported what in the audit log. Returns the .xlsx and its row count."""
    queryset = export_queryset(kind, user=user, region=region)
    count = queryset.count()
    content = export_registry(kind, queryset=queryset)
    audit.record(actor=user, action="registry.export", target_type=EXPORTS[kind][0]._meta.label_lower,
                 detail={"kind": kind, "channel": channel, "file": file, "rows": count, "region": region.code if region else ""})
    return content, count


def export_registry(kind: str, *, queryset) -> bytes:
    """An .xlsx of `queryset` (already restricted by the caller) with masked personal fields."""
    buffer = io.BytesIO()
    write_registry(kind, queryset=queryset, out=buffer)
    return buffer.getvalue()


def write_registry(kind: str, *, queryset, out, progress=None, every: int = BATCH_SIZE) -> int:
    """`export_registry` into `out` (a path or binary file), reporting `progress(rows so far)`;
    the background export (yiwang.exports) writes through this. Returns the rows written."""
    _, columns, title = EXPORTS[kind]
    if not queryset.ordered:
        queryset = queryset.order_by("id")  # a stable order, whatever the caller built
    rows: Iterable[dict] = queryset.values(*_EXPORT_VALUES[kind]).iterator(chunk_size=BATCH_SIZE)
    if kind == "persons":
        rows = _with_tags(rows)
    # Exported files read back through the importer, so their labels are always Chinese.
    with translation.override("zh-hans"):
        return write_xlsx(out, queryset_or_rows=rows, columns=columns, sheet_title=title, progress=progress, every=every)


IMPORTERS = {"persons": import_persons, "houses": import_houses, "places": import_places}
