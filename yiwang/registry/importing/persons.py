"""Import of persons (实有人口), the big table: a street has 10⁵ residents, so this path is tuned.

ID numbers are checked in bulk, and what the checks ask the database (grids, households, which ID
numbers are registered) is asked before the first row. On PostgreSQL the rows are then checked and
written in one pass inside the transaction: each batch of good rows is sealed and streamed to COPY
(in COPY's text format, written here) while the next is checked, so the server stores rows while we
check; any bad row stops the writing and rolls the whole file back, with every bad row listed as
before. SQLite, which has one writer, checks first and takes its write lock only to write (batched
executemany). Clear ID numbers and phones stay in memory only; they are sealed on the way out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from yiwang.core import bulk, crypto
from yiwang.core.importing import Column, ImportFailed, ImportReport, RowError, Table

from .. import groups, signals
from ..models import Gender, Household, KeyGroup, Person, PersonTag, ResidenceType
from ..validators import MOBILE_RE, check_id_numbers, validate_id_number, validate_phone
from .common import BATCH_SIZE, REGION_CODE, Regions, RegistryImporter, choices, masked, too_long

# Headers are GB/T 31000-2015's data item names where its public outline gives one; the names this
# registry used before are still read.
PERSON_COLUMNS = (
    Column("name", "姓名", ("名字", "name"), required=True),
    Column("id_number", "公民身份号码", ("身份证号", "身份证号码", "身份证", "证件号码", "id_number", "idnumber", "id_no", "id_card"), required=True),
    Column("phone", "联系方式", ("联系电话", "手机号", "手机号码", "手机", "电话", "电话号码", "phone", "mobile")),
    Column("gender", "性别", ("gender", "sex")),
    Column("residence_type", "人口类型", ("户籍类型", "人员类型", "人口类别", "residence_type")),
    REGION_CODE,
    Column("household", "户号", ("户编号", "家庭户号", "household", "household_number")),
    Column("is_household_head", "是否户主", ("户主", "household_head", "is_household_head")),
    Column("tags", "重点人群", ("人员类别", "人员标签", "标签", "重点人群类别", "重点人群代码", "tags")),
    Column("address", "现住门（楼）详址", ("现住门(楼)详址", "现住址", "居住地址", "现居住地址", "住址", "地址", "address")),
)

_GENDERS = choices(Gender.choices, 男性="M", 女性="F", male="M", female="F")
_RESIDENCE = choices(ResidenceType.choices, 户籍="registered", 流动="floating", 常住="registered", 外来人口="floating", 境外="overseas",
                     境外人口="overseas", 未落户="unsettled")
_YES_NO = {"是": True, "否": False, "y": True, "n": False, "yes": True, "no": False, "true": True, "false": False,
           "1": True, "0": False, "户主": True, "√": True, "": False}  # fmt: skip
# A group by its code, its name in either language, an alias, or the key stored before GB/T 31000.
_TAGS = choices(KeyGroup.choices, **{spelling: code for spelling, code in groups.spellings().items()})
_TAG_SPLIT = re.compile(r"[、,，;；|｜\s]+")

# The person fields written, in this order: every column of the table but the primary key.
WRITTEN_FIELDS = (
    "name", "gender", "birth_date", "id_number_sealed", "id_number_digest", "phone_sealed", "phone_digest",
    "residence_type", "household_id", "is_household_head", "address", "created_at", "region_id",
)  # fmt: skip


def written_columns() -> list[str]:
    """The database columns of WRITTEN_FIELDS."""
    return bulk.columns_of(Person, WRITTEN_FIELDS)


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
    return PersonImporter(acting_user=acting_user, progress=progress).run(source, mapping=mapping, encoding=encoding)


class _Known(NamedTuple):
    """PersonImporter.prepare's answers, which the row checks consult."""

    regions: Regions
    existing_households: dict[str, tuple[int, int]]
    today: Any
    numbers: list[str]
    valid_ids: list[bool]
    digests: list[str]
    registered: dict[str, str]


class PersonImporter(RegistryImporter):
    columns = PERSON_COLUMNS
    kind = "persons"
    target_type = "registry.person"

    def run(self, source: Any, *, mapping: Mapping[str, str] | None = None, encoding: str | None = None) -> ImportReport:
        if connection.vendor != "postgresql":
            # SQLite has one writer: check first, so the write lock is held only while writing.
            return super().run(source, mapping=mapping, encoding=encoding)
        # PostgreSQL: check and write in one pass. Each batch of good rows is sealed and streamed
        # to COPY while the next is checked, so the server stores rows while we check; the first
        # bad row stops the writing (checking goes on, to list every bad row) and the transaction
        # is rolled back, so a file is still written whole or not at all.
        self.authorize()
        table = self.read(source, mapping=mapping, encoding=encoding)
        known = self.prepare(table)
        try:
            with transaction.atomic():
                report = self.write(self.checked(table, known))
        except IntegrityError:
            problems = self.conflict(None)
            if not problems:
                raise
            raise ImportFailed(problems) from None
        if callable(self.progress):
            self.progress(report.rows, report.rows)
        return report

    def check(self, table: Table) -> list[list]:
        """Every row checked before anything is written: the batches of records to write."""
        return list(self.checked(table, self.prepare(table)))

    def prepare(self, table: Table) -> _Known:
        """What the checks ask the database and ask of whole columns, before the first row is
        checked or written: grids, households, ID numbers and which of them are registered."""
        self.warnings = self.ignored_columns()
        self.row_of_digest: dict[str, int] = {}
        self.tags_of_digest: dict[str, list[str]] = {}
        # Household number -> (region id, first row) for households this file creates.
        self.new_households: dict[str, tuple[int, int]] = {}
        self.household_ids: dict[str, int] = {}

        rows = table.rows
        at_household, at_region = table.position("household"), table.position("region_code")
        regions = Regions((v[at_region] for _, v in rows), acting_user=self.acting_user)
        existing_households = self._existing_households(set() if at_household is None else {v[at_household] for _, v in rows})
        if at_household is not None:
            self._plan_households(rows, at_household, at_region, regions, existing_households)
        today = timezone.localdate()
        # Cells are trimmed already; only a lower-case check char x needs normalising.
        at_id = table.position("id_number")
        numbers = [n[:-1] + "X" if (n := v[at_id]).endswith("x") else n for _, v in rows]
        valid_ids = check_id_numbers(numbers, today=today)
        digests = crypto.digest_many([n if ok else "" for n, ok in zip(numbers, valid_ids, strict=True)])
        # Each valid ID number's first row, complete before any writing: a clash with a concurrent
        # import, found by the unique index while streaming, is then still told by row.
        row_of_digest = self.row_of_digest
        for (row, _), id_digest in zip(rows, digests, strict=True):
            if id_digest:
                row_of_digest.setdefault(id_digest, row)
        registered = self._registered(list(row_of_digest))
        return _Known(regions, existing_households, today, numbers, valid_ids, digests, registered)

    def checked(self, table: Table, known: _Known) -> Iterator[list[list]]:
        """Check the rows, yielding the good ones in batches (none after the first bad row).

        A record is in WRITTEN_FIELDS order but holds the clear ID number and phone, the
        household number and no timestamp, until write() seals and completes it in place."""
        rows = table.rows
        position = table.position
        at_name, at_region = position("name"), position("region_code")
        at_phone, at_gender, at_residence = position("phone"), position("gender"), position("residence_type")
        at_household, at_head, at_tags, at_address = position("household"), position("is_household_head"), position("tags"), position("address")
        regions, existing_households, today, numbers, valid_ids, digests, registered = known
        mobile = MOBILE_RE.fullmatch
        error = self.error
        records: list[list] = []
        row_of_digest, errors = self.row_of_digest, self.errors
        heads: dict[str, int] = {}
        registered_type = ResidenceType.REGISTERED.value

        bar = self.progress_of(len(rows), "校验")
        for i, (row, v) in enumerate(rows):
            if i % BATCH_SIZE == BATCH_SIZE - 1:
                bar.update(BATCH_SIZE)
                if records and not errors:
                    yield records
                    records = []
            bad = len(errors)
            already = ""

            name = v[at_name]
            if not name:
                error(row, "name", "姓名为空")
            elif len(name) > 50:
                error(row, "name", too_long(name, 50))

            number = numbers[i]
            gender = birth = id_digest = ""
            if valid_ids[i]:
                birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
                gender = "M" if (ord(number[16]) - 48) % 2 else "F"
                id_digest = digests[i]
                earlier = row_of_digest[id_digest]
                if earlier != row:
                    id_digest = ""
                    error(row, "id_number", f"与第{earlier}行的身份证号重复")
                else:
                    already = registered.get(id_digest, "")
            elif masked(number):
                error(row, "id_number", "身份证号已脱敏（含 *），导出的文件不能再导入，请填写完整号码")
            else:
                try:
                    validate_id_number(number, today=today)
                except ValidationError as exc:
                    error(row, "id_number", exc.messages[0])

            phone = "" if at_phone is None else v[at_phone]
            if phone and mobile(phone) is None:  # most are plain mobile numbers
                if masked(phone):
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

            residence = registered_type
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
                        self.warn(row, "is_household_head", f"户 {household} 在第{earlier}行已有户主")

            if at_tags is not None and (given := v[at_tags]):
                tags = self._tags(row, given)
                if tags and id_digest:
                    self.tags_of_digest[id_digest] = tags

            address = "" if at_address is None else v[at_address]
            if len(address) > 200:
                error(row, "address", too_long(address, 200))

            if already:
                error(row, "id_number", already)
            if len(errors) == bad:
                records.append([name, gender, birth, number, id_digest, phone, "", residence, household, is_head, address, None, region_id])
        bar.update(len(rows) % BATCH_SIZE)
        bar.close()
        if records and not self.errors:
            yield records

    def _tags(self, row: int, given: str) -> list[str]:
        tags: list[str] = []
        for label in _TAG_SPLIT.split(given):
            if not label:
                continue
            tag = _TAGS.get(label.lower())
            if tag is None:
                self.error(row, "tags", f"未知的重点人群 {label}（可用：{'、'.join(g.name for g in groups.all_groups())}）")
            elif tag not in tags:
                tags.append(tag)
        return tags

    def _existing_households(self, numbers: set[str]) -> dict[str, tuple[int, int]]:
        numbers = sorted(n for n in numbers if n)
        found = {}
        for chunk in bulk.chunks(numbers, bulk.parameter_chunk_size()):
            for number, pk, region_id in Household.objects.filter(number__in=chunk).values_list("number", "id", "region_id"):
                found[number] = (pk, region_id)
        self.household_ids = {n: pk for n, (pk, _) in found.items()}
        return found

    def _check_household(self, row: int, number: str, region_id: int | None, existing: dict[str, tuple[int, int]]) -> None:
        if len(number) > 40:
            self.error(row, "household", too_long(number, 40))
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

    def _plan_households(self, rows: Sequence, at_household: int, at_region: int, regions: Regions,
                         existing: dict[str, tuple[int, int]]) -> None:  # fmt: skip
        """The households this file creates, each in the grid of its first row, known before any
        row is written (persons name them); the row checks then hold every row to that grid."""
        new_households = self.new_households
        for row, v in rows:
            number = v[at_household]
            if number and len(number) <= 40 and number not in existing and number not in new_households:
                region_id, _ = regions.resolve(v[at_region])
                if region_id is not None:
                    new_households[number] = (region_id, row)

    def _registered(self, digests: Sequence[str]) -> dict[str, str]:
        """Digest -> why its row cannot be imported, for the ID numbers registered already."""
        found = dict(bulk.values_in(Person, "id_number_digest", digests, also="id"))
        # Inside the importer's scope the row may name the record; outside it, the row says only
        # that it conflicts and whom to ask, never where the person lives.
        visible = Person.objects.all() if self.acting_user is None else Person.objects.restrict(self.acting_user)
        known: dict[int, tuple[str, str]] = {}
        for chunk in bulk.chunks(list(found.values()), bulk.parameter_chunk_size()):
            known.update((pk, (name, region)) for pk, name, region in visible.filter(pk__in=chunk).values_list("pk", "name", "region__name"))
        reasons = {}
        for digest, person_id in found.items():
            if person_id in known:
                name, region = known[person_id]
                reasons[digest] = f"该身份证号已登记：{name}（{region}）"
            else:
                reasons[digest] = "该身份证号与您数据范围之外的登记记录冲突，请联系街道管理员核实"
        return reasons

    def check_database(self) -> None:
        """Rows whose ID number is registered already, and households someone created meanwhile."""
        for digest, reason in self._registered(list(self.row_of_digest)).items():
            self.error(self.row_of_digest[digest], "id_number", reason)
        for number in bulk.values_in(Household, "number", list(self.new_households)):
            self.error(self.new_households[number][1], "household", f"户 {number} 刚被他人登记，请重新导入")

    def conflict(self, plan: None) -> list[RowError]:
        # Someone registered one of these people (or households) while we checked: say which rows.
        self.errors = []
        self.check_database()
        return self.errors

    def write(self, plan: Iterable[list[list]]) -> ImportReport:
        """Write the batches of checked records (a list, or on PostgreSQL the checking itself)."""
        if self.new_households:
            Household.objects.bulk_create(
                [Household(number=n, region_id=region_id) for n, (region_id, _) in self.new_households.items()], batch_size=BATCH_SIZE
            )
            for chunk in bulk.chunks(list(self.new_households), bulk.parameter_chunk_size()):
                self.household_ids.update(Household.objects.filter(number__in=chunk).values_list("number", "id"))
        streaming = not isinstance(plan, list)
        # Streamed, the checking reports progress; a list is written with a bar of its own.
        bar = self.progress_of(0 if streaming else sum(map(len, plan)), "写入")
        postgres = connection.vendor == "postgresql"
        # The backend's form of the timestamp, made once instead of per row.
        now = timezone.now()
        created_at = now.isoformat() if postgres else connection.ops.adapt_datetimefield_value(now)
        household_ids = self.household_ids
        if postgres:
            written = [0]

            def batches() -> Iterator[str]:
                for batch in plan:
                    yield _copy_batch(batch, household_ids, created_at)
                    written[0] += len(batch)

            bulk.copy_in(bulk.quoted_table(Person, written_columns()), batches(), format="text")
            created = written[0]
        else:
            sealed = (row for batch in plan for row in _sealed(batch, household_ids, created_at))
            # The digest indexes take random inserts: SQLite gets a 64 MB page cache for them.
            created = bulk.insert(Person, WRITTEN_FIELDS, sealed, progress=None if streaming else bar.update, cache_mib=64)
        bar.close()
        if self.errors:
            raise ImportFailed(self.errors)  # found while streaming: the transaction rolls back
        if self.tags_of_digest:
            # Plain rows again: model instances send init signals, which for 10³ tags add up.
            person_ids = dict(bulk.values_in(Person, "id_number_digest", list(self.tags_of_digest), also="id"))
            pairs = [(person_ids[d], tag) for d, tags in self.tags_of_digest.items() for tag in tags]
            bulk.insert(PersonTag, ("person_id", "tag"), pairs)
            # Only tagged persons can be under a care plan: the counters about them move in this transaction.
            signals.persons_written.send(sender=Person, person_ids=list(person_ids.values()))
        self.audit(rows=len(self.table.rows), created=created)
        return ImportReport(created=created, updated=0, rows=len(self.table.rows), warnings=self.warnings)


def _sealed(records: Sequence[list], household_ids: Mapping[str, int], created_at: Any) -> Sequence[list]:
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


def _copy_batch(records: Sequence[list], household_ids: Mapping[str, int], created_at: str) -> str:
    """The records sealed and completed as lines of COPY's text format, written by hand: psycopg's
    write_row adapts each value on its own, which costs more than sealing it."""
    phones = [r[5] for r in records]
    sealed_ids = crypto.encrypt_many([r[3] for r in records])
    sealed_phones, phone_digests = crypto.encrypt_many(phones), crypto.digest_many(phones)
    # Only names and addresses can hold a character COPY must escape (sealed values, digests and
    # codes cannot), and rarely do: one look at the whole batch spares escaping each value.
    free_text = "".join([r[0] + r[10] for r in records])
    text = bulk.copy_text if ("\\" in free_text or "\t" in free_text or "\n" in free_text or "\r" in free_text) else str
    return "".join([
        f"{text(name)}\t{gender}\t{birth or '\\N'}\t{id_sealed}\t{id_digest}\t{phone_sealed}\t{phone_digest}\t{residence}\t"
        f"{household_ids[household] if household else '\\N'}\t{'t' if is_head else 'f'}\t{text(address)}\t{created_at}\t{region_id}\n"
        for (name, gender, birth, _, id_digest, _, _, residence, household, is_head, address, _, region_id), id_sealed, phone_sealed, phone_digest
        in zip(records, sealed_ids, sealed_phones, phone_digests, strict=True)
    ])  # fmt: skip
