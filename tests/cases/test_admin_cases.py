"""The admin shows cases read-only: a case moves only through its transitions."""


def test_case_admin_is_read_only_and_scoped(client, users, report, tree, make_user):
    case = report("S0001").case
    client.force_login(users["community"])
    assert case.number in client.get("/admin/cases/case/").content.decode()
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200 and "邻里纠纷" in page.content.decode()
    client.post(f"/admin/cases/case/{case.pk}/change/", {"status": "closed"})
    case.refresh_from_db()
    assert case.status == "reported"
    other = make_user("other_street_staff", "street", tree.other_street)
    client.force_login(other)
    assert case.number not in client.get("/admin/cases/case/").content.decode()


def test_district_staff_edit_the_catalogue_and_each_change_is_a_version(client, users, matters):
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # post_migrate syncs the role groups with their permissions
    matter = matters("06010")
    client.force_login(users["community"])
    assert client.get(f"/admin/matters/mattertype/{matter.pk}/change/").status_code == 403
    client.force_login(users["district"])
    page = client.get(f"/admin/matters/mattertype/{matter.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["attributes"] = "[]"
    data["handle_limit"] = "2h"
    data = {k: v for k, v in data.items() if v is not False}
    response = client.post(f"/admin/matters/mattertype/{matter.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    matter.refresh_from_db()
    assert matter.handle_limit == "2h" and matter.version == 2
    assert matter.versions.get(number=2).snapshot["limits"]["handle"] == "2h"
    assert matter.versions.get(number=1).snapshot["limits"]["handle"] == "4h"
