"""Importing and exporting registry lists from the pages, as community staff do."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.exports.helpers import export_via_job
from tests.factories import valid_id_number
from yiwang.core.models import AuditEntry
from yiwang.registry.models import Person

GOOD_ID = valid_id_number("50015419620301002")
BAD_ID = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")


def _csv(*rows: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(["姓名,身份证号,联系电话,网格编码,重点人群", *rows]) + "\n").encode(encoding)


@pytest.mark.django_db
def test_gbk_upload_imports_everything(client, users, tree):
    client.force_login(users["community"])
    upload = SimpleUploadedFile("居民.csv", _csv(f"张三,{GOOD_ID},13800138000,{tree.grid_a.code},独居老人", encoding="gbk"))
    page = client.post("/registry/import/", {"kind": "persons", "file": upload}).content.decode()
    assert "1 行" in page or "1 rows" in page
    person = Person.objects.get()
    assert (person.name, person.region_id, [t.tag for t in person.tags.all()]) == ("张三", tree.grid_a.pk, ["elderly_alone"])


@pytest.mark.django_db
def test_bad_rows_are_listed_and_nothing_is_written(client, users, tree):
    client.force_login(users["worker_a"])
    upload = SimpleUploadedFile("居民.csv", _csv(f"张三,{GOOD_ID},13800138000,{tree.grid_a.code},",
                                                 f"李四,{BAD_ID},13800138001,{tree.grid_a.code},",
                                                 f"王五,{valid_id_number('50015419700101003')},13800138002,{tree.grid_b.code},"))
    page = client.post("/registry/import/", {"kind": "persons", "file": upload}).content.decode()
    assert Person.objects.count() == 0
    assert "校验位" in page            # row 3: the wrong check character, named
    assert "<td>3</td>" in page and "<td>4</td>" in page  # row 4: grid B is outside worker A's scope


@pytest.mark.django_db
def test_export_is_masked_scoped_and_audited(client, users, tree):
    from tests import factories

    mine, theirs = factories.person(tree.grid_a), factories.person(tree.grid_b)
    client.force_login(users["community"])
    sheet = openpyxl.load_workbook(io.BytesIO(export_via_job(client, "/registry/export/persons.xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    names = {r[0] for r in rows[1:]}
    assert {mine.name, theirs.name} <= names
    assert all("*" in str(cell) for r in rows[1:] for cell in r[1:2])
    assert AuditEntry.objects.filter(action="registry.export").count() == 1
    # Grid workers may not export at all.
    client.force_login(users["worker_a"])
    assert client.get("/registry/export/persons.xlsx").status_code == 403
    assert client.post("/registry/export/persons.xlsx").status_code == 403
