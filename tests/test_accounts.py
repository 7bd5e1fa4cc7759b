import io

import openpyxl
import pytest

from tests import factories
from tests.exports.helpers import export_via_job
from yiwang.accounts.models import ApiToken
from yiwang.core.models import SensitiveAccess


@pytest.mark.django_db
def test_token_issue_use_list_and_revoke(client, users):
    client.force_login(users["worker_a"])
    created = client.post("/api/tokens", {"name": "巡查终端"}, content_type="application/json")
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("yw_")
    # Only the hash is stored.
    assert not ApiToken.objects.filter(key_hash=key).exists()
    client.logout()

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    me = client.get("/api/me", **bearer)
    assert me.status_code == 200 and me.json()["username"] == "worker_a"
    listed = client.get("/api/tokens", **bearer).json()
    assert [t["name"] for t in listed] == ["巡查终端"]

    # A token cannot mint further tokens: issuing needs a logged-in session.
    assert client.post("/api/tokens", {"name": "x"}, content_type="application/json", **bearer).status_code == 401
    revoked = client.delete(f"/api/tokens/{listed[0]['id']}", **bearer)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/api/me", **bearer).status_code == 401


@pytest.mark.django_db
def test_token_lifetime_is_bounded(client, users):
    client.force_login(users["worker_a"])
    past = client.post("/api/tokens", {"name": "old", "expires_at": "2020-01-01T00:00:00+08:00"}, content_type="application/json")
    assert past.status_code == 422 and "expires_at" in past.json()["detail"]
    forever = client.post("/api/tokens", {"name": "forever", "expires_at": "2099-01-01T00:00:00+08:00"}, content_type="application/json")
    assert forever.status_code == 422
    default = client.post("/api/tokens", {"name": "默认"}, content_type="application/json").json()
    assert default["expires_at"] is not None
    assert client.post("/api/tokens", {"name": "  "}, content_type="application/json").status_code == 422


@pytest.mark.django_db
def test_wrong_bearer_and_other_users_token_are_refused(client, users):
    assert client.get("/api/me", HTTP_AUTHORIZATION="Bearer yw_not-a-token").status_code == 401
    from yiwang.accounts.services import issue_token

    token, _ = issue_token(user=users["worker_b"], name="b", acting_user=users["worker_b"])
    client.force_login(users["worker_a"])
    assert client.delete(f"/api/tokens/{token.pk}").status_code == 404


@pytest.mark.django_db
def test_personal_data_masked_in_lists_and_revealed_with_a_log(client, users, tree):
    person = factories.person(tree.grid_a)
    clear_id = factories.valid_id_number("50015419850612321")
    person.set_id_number(clear_id)
    person.set_phone("13912345678")
    person.save()

    client.force_login(users["street"])
    item = client.get(f"/api/registry/persons/{person.pk}").json()
    assert item["id_number_masked"] == clear_id[:6] + "********" + clear_id[-4:]
    assert item["phone_masked"] == "139****5678"
    # The masked middle of an ID number is the birth date, so only the year is given out.
    assert "birth_date" not in item and item["birth_year"] == 1980
    assert clear_id not in client.get("/api/registry/persons").content.decode()
    # The street command centre may not reveal; community staff and grid workers may.
    assert client.post(f"/api/registry/persons/{person.pk}/reveal").status_code == 403
    assert SensitiveAccess.objects.count() == 0

    client.force_login(users["worker_a"])
    revealed = client.post(f"/api/registry/persons/{person.pk}/reveal").json()
    assert revealed == {"id_number": clear_id, "phone": "13912345678"}
    logged = SensitiveAccess.objects.filter(user=users["worker_a"], target_id=str(person.pk))
    assert sorted(logged.values_list("field", flat=True)) == ["id_number", "phone"]

    # The page's reveal button goes through the same logged action.
    page = client.post(f"/persons/{person.pk}/reveal")
    assert clear_id in page.content.decode()
    assert SensitiveAccess.objects.filter(channel="page").count() == 2

    # The neighbour's grid worker cannot even find the person.
    client.force_login(users["worker_b"])
    assert client.post(f"/api/registry/persons/{person.pk}/reveal").status_code == 404


@pytest.mark.django_db
def test_database_holds_no_clear_personal_data(tree):
    from django.db import connection

    person = factories.person(tree.grid_a)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_sealed, id_number_digest, phone_sealed FROM registry_person WHERE id = %s", [person.pk])
        sealed_id, digest, sealed_phone = cursor.fetchone()
    from yiwang.core import crypto

    clear = crypto.decrypt(sealed_id)
    assert len(clear) == 18 and clear not in sealed_id and clear not in digest
    assert crypto.decrypt(sealed_phone) not in sealed_phone


@pytest.mark.django_db
def test_roles_decide_admin_access(client, users):
    client.force_login(users["community"])
    assert client.get("/admin/").status_code == 200
    assert users["community"].has_perm("registry.change_person")
    assert not users["community"].has_perm("registry.delete_person")
    client.force_login(users["worker_a"])
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_healthz_and_openapi(client, tree):
    assert client.get("/healthz").json()["regions"] == 9
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200 and "/api/registry/persons" in schema.json()["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert 'src="/static/ninja/swagger-ui-bundle.js"' in html and "cdn" not in html.lower()


@pytest.mark.django_db
def test_ui_is_chinese_by_default_and_english_on_request(client, users, tree):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in page.content.decode()
    client.force_login(users["street"])
    panel = client.get(f"/map/{tree.grid_a.code}/panel").content.decode()
    assert "户数" in panel and "网格" in panel
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    panel = client.get(f"/map/{tree.grid_a.code}/panel").content.decode()
    assert "Households" in panel and "Grid" in panel and "户数" not in panel
    # Data files stay Chinese whatever the interface language: they are read back by the importer.
    factories.person(tree.grid_a)
    sheet = openpyxl.load_workbook(io.BytesIO(export_via_job(client, "/registry/export/persons.xlsx").content)).active
    assert "男" in [cell for row in sheet.iter_rows(values_only=True) for cell in row]
