"""Importing persons: everything or nothing, every error named by row, column and reason."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import override_settings
from registry_helpers import (  # noqa: F401 (write_file is a fixture)
    GRID_A,
    GRID_B,
    MICRO_A1,
    PERSON_HEADER,
    csv_bytes,
    make_id,
    person_row,
    write_file,
    wrong_check,
    xlsx_bytes,
)

from yiwang.core import crypto
from yiwang.core.models import AuditEntry
from yiwang.registry.importing import ImportFailed, import_persons
from yiwang.registry.models import Household, Person, PersonTag


def run(source, **kwargs):
    return import_persons(source=source, progress=False, **kwargs)


def failure(source, **kwargs) -> list[tuple]:
    """The (row, column, reason) list of an import that must fail and write nothing."""
    before = (Person.objects.count(), Household.objects.count(), PersonTag.objects.count())
    with pytest.raises(ImportFailed) as caught:
        run(source, **kwargs)
    assert (Person.objects.count(), Household.objects.count(), PersonTag.objects.count()) == before
    return [tuple(e) for e in caught.value.errors]


def test_utf8_csv(tree, write_file):
    rows = [
        PERSON_HEADER,
        person_row(1, 性别="女" if int(make_id(1)[16]) % 2 == 0 else "男", 户编号="H001", 是否户主="是", 重点人群="独居老人、low_income"),
        person_row(2, 人口类型="流动人口", 户编号="H001", 联系电话="023-12345678"),
        person_row(3, grid=MICRO_A1, 联系电话="", 重点人群="残疾人|退役军人"),
    ]
    report = run(write_file("居民.csv", csv_bytes(rows)))
    assert (report.created, report.updated, report.rows) == (3, 0, 3)

    first = Person.objects.get(name="居民1")
    number = make_id(1)
    assert first.birth_date == datetime.date(1985, 6, 1)
    assert first.gender == ("M" if int(number[16]) % 2 else "F")
    assert first.region_id == tree.grid_a.pk
    assert first.household.number == "H001" and first.household.region_id == tree.grid_a.pk
    assert first.is_household_head
    assert sorted(first.tags.values_list("tag", flat=True)) == ["elderly_alone", "low_income"]
    assert crypto.decrypt(first.id_number_sealed) == number
    assert first.id_number_digest == crypto.digest(number)
    assert crypto.decrypt(first.phone_sealed) == "13800130001"
    assert first.phone_digest == crypto.digest("13800130001")

    second = Person.objects.get(name="居民2")
    assert second.residence_type == "floating"
    assert second.household_id == first.household_id
    assert crypto.decrypt(second.phone_sealed) == "023-12345678"
    third = Person.objects.get(name="居民3")
    assert third.region_id == tree.micro_a1.pk and third.phone_sealed == "" and third.phone_digest == ""
    assert sorted(third.tags.values_list("tag", flat=True)) == ["disabled", "veteran"]

    entry = AuditEntry.objects.get(action="registry.import")
    assert entry.detail == {"kind": "persons", "file": "居民.csv", "rows": 3, "created": 3}


def test_sealed_column_never_holds_the_clear_number(tree, write_file):
    number = make_id(7)
    run(write_file("p.csv", csv_bytes([PERSON_HEADER, person_row(7)])))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_sealed, phone_sealed FROM registry_person")
        (sealed_id, sealed_phone), = cursor.fetchall()
    assert sealed_id.startswith("v1:") and number not in sealed_id
    assert "13800130007" not in sealed_phone
    assert crypto.decrypt(sealed_id) == number


def test_utf8_with_bom_and_gbk(tree, write_file):
    rows = [PERSON_HEADER, person_row(1, 现住址="重庆市开州区汉丰街道"), person_row(2)]
    run(write_file("bom.csv", b"\xef\xbb\xbf" + csv_bytes(rows)))
    gbk_rows = [PERSON_HEADER, person_row(3, 现住址="重庆市开州区镇安镇"), person_row(4, 姓名="欧阳娜娜")]
    data = csv_bytes(gbk_rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = run(write_file("gbk.csv", data))
    assert report.created == 2
    assert Person.objects.get(name="欧阳娜娜").region_id == tree.grid_a.pk
    assert Person.objects.filter(address="重庆市开州区镇安镇").count() == 1
    # An explicit encoding wins over detection.
    run(write_file("gbk2.csv", csv_bytes([PERSON_HEADER, person_row(5, 姓名="诸葛亮")], encoding="gbk")), encoding="gbk")
    assert Person.objects.filter(name="诸葛亮").exists()


def test_wrong_explicit_encoding_is_a_file_error(tree, write_file):
    data = csv_bytes([PERSON_HEADER, person_row(1, 姓名="张三")], encoding="gbk")
    errors = failure(write_file("p.csv", data), encoding="utf-8")
    assert len(errors) == 1 and "无法按 utf-8 解码" in errors[0][2]


def test_xlsx_with_title_row_numbers_and_blank_rows(tree, write_file):
    number = make_id(11)
    rows = [
        ["永先社区实有人口登记表"],
        [],
        ["序号", "姓名", "公民身份号码", "手机号", "所属网格", "地址"],
        [1, "  李四 ", number, 13800138000, int(GRID_A), "永先路1号"],
        [2, None, None, None, None, None],  # only 序号 filled: skipped
        [],
        [3, "王五", wrong_check(make_id(12)), 13800138001, GRID_B, ""],
    ]
    errors = failure(write_file("人口.xlsx", xlsx_bytes(rows)))
    # Header on row 3, the bad person on row 7 as Excel shows it.
    assert errors == [(7, "公民身份号码", f"校验位错误，应为 {make_id(12)[17]}")]

    rows[-1][2] = make_id(12)
    report = run(write_file("人口.xlsx", xlsx_bytes(rows)))
    assert report.created == 2
    li = Person.objects.get(name="李四")
    assert crypto.decrypt(li.phone_sealed) == "13800138000"
    assert li.region_id == tree.grid_a.pk
    # 序号 is not ours: mentioned, not an error.
    assert [(w.row, w.column) for w in report.warnings] == [(3, "序号")]


def test_mapping_odd_headers(tree, write_file):
    rows = [["名", "证件", "网格", "tel"], ["赵六", make_id(21), GRID_B, "13900139000"]]
    errors = failure(write_file("odd.csv", csv_bytes(rows)))
    assert errors == [(1, "表头", "在前20行中没有找到表头（没有可识别的列名）")]
    report = run(
        write_file("odd.csv", csv_bytes(rows)),
        mapping={"name": "名", "id_number": "证件", "region_code": "网格", "phone": "TEL"},
    )
    assert report.created == 1
    assert crypto.decrypt(Person.objects.get(name="赵六").phone_sealed) == "13900139000"


def test_mapping_to_a_missing_header_names_it(tree, write_file):
    rows = [PERSON_HEADER, person_row(1)]
    errors = failure(write_file("p.csv", csv_bytes(rows)), mapping={"phone": "手机号码(本人)"})
    assert errors == [(1, "手机号码(本人)", "列映射 phone=手机号码(本人)：表头中没有这一列")]


def test_every_error_is_collected_and_nothing_written(tree, write_file):
    Person.objects.create(name="老住户", region=tree.grid_a)  # no ID number: never a duplicate
    existing = Person(name="已登记", region=tree.grid_b)
    existing.set_id_number(make_id(40))
    existing.save()
    rows = [
        PERSON_HEADER,
        person_row(31),                                     # 2: fine
        person_row(32, 身份证号=wrong_check(make_id(32))),   # 3: check char
        person_row(33),                                     # 4: fine
        person_row(31, 姓名="重复"),                         # 5: same ID as row 2
        person_row(40),                                     # 6: already in the database
        person_row(34, 网格编码="500154003001999"),           # 7: unknown region
        person_row(35, 联系电话="12345"),                    # 8: bad phone
        person_row(36, 网格编码="500154003001"),              # 9: a community, not a grid
        person_row(37, 性别="女" if int(make_id(37)[16]) % 2 else "男"),  # 10: disagrees with the ID
        person_row(38, 重点人群="独居老人、外星人"),           # 11: unknown tag
        person_row(39, 姓名=""),                             # 12: no name
    ]  # fmt: skip
    errors = failure(write_file("p.csv", csv_bytes(rows)))
    assert [(row, column) for row, column, _ in errors] == [
        (3, "身份证号"), (5, "身份证号"), (6, "身份证号"), (7, "网格编码"), (8, "联系电话"), (9, "网格编码"),
        (10, "性别"), (11, "重点人群"), (12, "姓名"),
    ]  # fmt: skip
    reasons = dict(((row, column), reason) for row, column, reason in errors)
    assert reasons[(3, "身份证号")] == f"校验位错误，应为 {make_id(32)[17]}"
    assert reasons[(5, "身份证号")] == "与第2行的身份证号重复"
    assert "已登记" in reasons[(6, "身份证号")]
    assert reasons[(7, "网格编码")] == "网格编码 500154003001999 不存在"
    assert "手机号 12345 无效" in reasons[(8, "联系电话")]
    assert "是社区/村，应填写网格或微网格的编码" in reasons[(9, "网格编码")]
    assert "与身份证号不符" in reasons[(10, "性别")]
    assert "外星人" in reasons[(11, "重点人群")]
    assert reasons[(12, "姓名")] == "姓名为空"
    assert not AuditEntry.objects.filter(action="registry.import").exists()


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "文件为空"), (b"   \r\n\r\n", "文件为空"), (b"\xef\xbb\xbf", "文件为空"), ("姓名,身份证号,网格编码\r\n".encode(), "没有数据行")],
)
def test_empty_files(tree, write_file, data, reason):
    errors = failure(write_file("empty.csv", data))
    assert len(errors) == 1 and reason in errors[0][2]


def test_oversized_file(tree, write_file):
    data = csv_bytes([PERSON_HEADER] + [person_row(n) for n in range(1, 50)])
    with override_settings(IMPORT_MAX_BYTES=len(data) - 1):
        errors = failure(write_file("big.csv", data))
        assert errors[0][0] is None and "超过允许的大小" in errors[0][2]
        # The same limit holds for bytes and open files.
        with pytest.raises(ImportFailed):
            run(data)
        with open(write_file("big2.csv", data), "rb") as f, pytest.raises(ImportFailed):
            run(f)
    with override_settings(IMPORT_MAX_BYTES=len(data)):
        assert run(data).created == 49


def test_missing_required_column(tree, write_file):
    rows = [["姓名", "联系电话", "网格编码"], ["张三", "13800138000", GRID_A]]
    errors = failure(write_file("p.csv", csv_bytes(rows)))
    assert len(errors) == 1
    row, column, reason = errors[0]
    assert (row, column) == (1, "公民身份号码") and "缺少必需的列" in reason and "身份证号" in reason


def test_no_header(tree, write_file):
    errors = failure(write_file("p.csv", csv_bytes([["a", "b"], ["1", "2"]])))
    assert errors[0][2].startswith("在前20行中没有找到表头")


def test_scope_of_the_acting_user(tree, users, write_file):
    rows = [PERSON_HEADER, person_row(51, grid=GRID_A), person_row(52, grid=GRID_B), person_row(53, grid=MICRO_A1)]
    errors = failure(write_file("p.csv", csv_bytes(rows)), acting_user=users["worker_a"])
    assert errors == [(3, "网格编码", f"网格编码 {GRID_B} 不在你的数据范围内")]

    # A community worker sees both grids.
    report = run(write_file("p.csv", csv_bytes(rows)), acting_user=users["community"])
    assert report.created == 3
    assert AuditEntry.objects.get(action="registry.import").actor == users["community"]


def test_roles_that_cannot_change_data(tree, users, write_file):
    path = write_file("p.csv", csv_bytes([PERSON_HEADER, person_row(61)]))
    for role in ("department", "resident"):
        with pytest.raises(PermissionDenied):
            run(path, acting_user=users[role])
    assert Person.objects.count() == 0


def test_households(tree, write_file):
    Household.objects.create(number="H-OLD", region=tree.grid_b)
    rows = [
        PERSON_HEADER,
        person_row(71, 户编号="H-OLD", grid=GRID_A),   # exists in grid B
        person_row(72, 户编号="H-NEW", grid=GRID_A),
        person_row(73, 户编号="H-NEW", grid=GRID_B),   # same new household, other grid
        person_row(74, 是否户主="是"),                  # head without household
        person_row(75, 是否户主="也许", 户编号="H-X"),
    ]  # fmt: skip
    errors = failure(write_file("p.csv", csv_bytes(rows)))
    assert [(r, c) for r, c, _ in errors] == [(2, "户编号"), (4, "户编号"), (5, "是否户主"), (6, "是否户主")]
    assert "第3行" in errors[1][2]

    ok = [PERSON_HEADER, person_row(71, 户编号="H-OLD", grid=GRID_B, 是否户主="是"), person_row(72, 户编号="H-NEW", 是否户主="否")]
    run(write_file("p.csv", csv_bytes(ok)))
    assert Household.objects.get(number="H-NEW").members.get().name == "居民72"
    assert Household.objects.get(number="H-OLD").members.get().is_household_head


def test_masked_export_values_are_refused(tree, write_file):
    rows = [PERSON_HEADER, person_row(81, 身份证号="500154********1234", 联系电话="138****8000")]
    errors = failure(write_file("p.csv", csv_bytes(rows)))
    assert [(r, c) for r, c, _ in errors] == [(2, "身份证号"), (2, "联系电话")]
    assert "已脱敏" in errors[0][2]


def test_english_headers_and_labels(tree, write_file):
    rows = [
        ["name", "id_number", "phone", "gender", "residence_type", "grid_code", "tags", "address"],
        ["Li Lei", make_id(91, male=True), "13800138091", "male", "floating", GRID_A, "elderly_alone;disabled", "Yongxian Rd"],
    ]
    assert run(write_file("en.csv", csv_bytes(rows))).created == 1
    person = Person.objects.get(name="Li Lei")
    assert (person.gender, person.residence_type) == ("M", "floating")
    assert person.tags.count() == 2


def test_batch_sealing_matches_single_values():
    values = ["", "500154198506010018", "13800138000", "x", "中文地址"]
    assert crypto.digest_many(values) == [crypto.digest(v) for v in values]
    assert [crypto.decrypt(s) for s in crypto.encrypt_many(values)] == values
    assert len(set(crypto.encrypt_many(["same", "same"]))) == 2  # fresh nonce each time


def test_digests_stay_those_already_stored():
    """Digests are lookup keys in existing databases: however they are computed, each is still the
    keyed BLAKE2b of the upper-cased value."""
    import hashlib

    _, key = crypto._current()
    values = ["500154198506010018", "50015419850601001x", "13800138000", "中文", "a" * 300]
    assert crypto.digest_many(values) == [hashlib.blake2b(v.upper().encode(), key=key, digest_size=20).hexdigest() for v in values]


def test_many_rows_in_batches(tree, write_file):
    rows = [PERSON_HEADER] + [
        person_row(n, 身份证号=make_id(n, birth=datetime.date(1950, 1, 1) + datetime.timedelta(days=n // 1000)), 重点人群="低保" if n % 100 == 0 else "")
        for n in range(4500)
    ]  # fmt: skip
    report = run(write_file("many.csv", csv_bytes(rows)))
    assert report.created == Person.objects.count() == 4500
    assert PersonTag.objects.count() == 45
    assert Person.objects.filter(id_number_digest__isnull=True).count() == 0


def test_a_bad_row_after_rows_already_streamed_writes_nothing(tree, write_file):
    """On PostgreSQL good rows go to the database while later ones are checked: a bad row past the
    first batches still leaves nothing written, every bad row listed, and a registered ID number
    found by row as before."""
    registered = Person(name="已在册", region=tree.grid_a)
    registered.set_id_number(make_id(2990, birth=datetime.date(1950, 1, 3)))
    registered.save()
    rows = [PERSON_HEADER] + [
        person_row(n, 身份证号=make_id(n, birth=datetime.date(1950, 1, 1) + datetime.timedelta(days=n // 1000)), 户编号=f"H{n // 4}",
                   重点人群="低保" if n % 100 == 0 else "")
        for n in range(3000)
    ]  # fmt: skip
    rows[2600][rows[0].index("网格编码")] = "999999999999999"
    errors = failure(write_file("late.csv", csv_bytes(rows)))
    assert [(row, column) for row, column, _ in errors] == [(2601, "网格编码"), (2992, "身份证号")]
    assert "已登记：已在册" in errors[1][2]
    assert Person.objects.count() == 1


def test_someone_registering_the_same_person_meanwhile(tree, write_file, monkeypatch):
    """The check passes, then another import writes the same ID first: the unique index stops us,
    and the error still names the row."""
    from yiwang.registry.importing.persons import PersonImporter

    prepare = PersonImporter.prepare

    def prepare_then_race(self, table):
        # After the database was asked which ID numbers are registered, before any row is written.
        known = prepare(self, table)
        other = Person(name="抢先登记", region=tree.grid_b)
        other.set_id_number(make_id(3))
        other.save()
        return known

    monkeypatch.setattr(PersonImporter, "prepare", prepare_then_race)
    rows = [PERSON_HEADER, person_row(1), person_row(2), person_row(3)]
    with pytest.raises(ImportFailed) as caught:
        run(write_file("p.csv", csv_bytes(rows)))
    assert [tuple(e)[:2] for e in caught.value.errors] == [(4, "身份证号")]
    assert list(Person.objects.values_list("name", flat=True)) == ["抢先登记"]


def test_awkward_text_survives_the_bulk_path(tree, write_file):
    """Backslashes, tabs and line breaks in cells (COPY's text format escapes them on PostgreSQL)."""
    address = "永先路\\1号\t2栋\n3单元 \\N"
    rows = [PERSON_HEADER, person_row(1, 姓名="\\N", 现住址=address), person_row(2, 姓名="O'Brien \"Bob\"")]
    run(write_file("p.csv", csv_bytes(rows)))
    assert Person.objects.get(name="\\N").address == address.strip()
    assert Person.objects.filter(name="O'Brien \"Bob\"").exists()
