"""The admin keeps to the same scope: no labels of rows outside it, no loops in the tree."""

import pytest

from tests import factories
from yiwang.regions.models import Region


@pytest.mark.django_db
def test_lookup_widgets_do_not_show_rows_outside_scope(client, users, tree):
    stranger = factories.person(tree.other_street)
    neighbour_region = tree.other_street
    client.force_login(users["community"])
    page = client.get(f"/admin/party/partymember/add/?person={stranger.pk}").content.decode()
    assert stranger.name not in page
    page = client.get(f"/admin/registry/person/add/?region={neighbour_region.pk}").content.decode()
    assert neighbour_region.name not in page
    # The search behind the widget is scoped too.
    found = client.get("/admin/autocomplete/", {"app_label": "party", "model_name": "partymember", "field_name": "person", "term": stranger.name})
    assert found.status_code == 200 and found.json()["results"] == []


@pytest.mark.django_db
def test_force_member_login_link_is_for_superusers_only(client, users, tree):
    member = factories.forcemember(tree.grid_a)
    client.force_login(users["community"])
    page = client.get(f"/admin/forces/forcemember/{member.pk}/change/").content.decode()
    assert 'name="user"' not in page


@pytest.mark.django_db
def test_region_cannot_move_under_its_own_grid(client, users, tree):
    client.force_login(users["street"])
    url = f"/admin/regions/region/{tree.community.pk}/change/"
    form = {
        "parent": tree.grid_a.pk, "level": "community", "code": tree.community.code, "name": tree.community.name,
        "grid_kind": "", "dedicated_kind": "", "boundary": tree.community.boundary,
    }
    page = client.post(url, form)
    assert page.status_code == 200
    assert "上级不能是本单元或其下级单元" in page.content.decode()
    assert Region.objects.get(pk=tree.community.pk).parent_id == tree.street.pk


@pytest.mark.django_db
def test_region_form_refuses_bad_code_and_boundary(client, users, tree):
    client.force_login(users["street"])
    form = {
        "parent": tree.community.pk, "level": "grid", "code": "500154003001", "name": "坏网格",
        "grid_kind": "regular", "dedicated_kind": "", "boundary": '{"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}',
    }
    page = client.post("/admin/regions/region/add/", form).content.decode()
    assert "编码规则" in page and "坏网格" not in Region.objects.values_list("name", flat=True)
    assert "Self-intersection" in page or "自相交" in page


@pytest.mark.django_db
def test_person_form_refuses_a_registered_id_number(client, users, tree):
    from yiwang.core import crypto
    from yiwang.registry.models import Person

    existing = factories.person(tree.grid_a)
    clear = crypto.decrypt(existing.id_number_sealed)
    client.force_login(users["community"])
    form = {"region": tree.grid_a.pk, "name": "重复", "gender": "", "birth_date": "", "residence_type": "registered",
            "household": "", "address": "", "id_number": clear, "phone": "",
            "tags-TOTAL_FORMS": "0", "tags-INITIAL_FORMS": "0", "tags-MIN_NUM_FORMS": "0", "tags-MAX_NUM_FORMS": "1000"}
    page = client.post("/admin/registry/person/add/", form)
    assert page.status_code == 200 and "该身份证号已登记" in page.content.decode()
    form["id_number"] = factories.valid_id_number("50015419900512004")
    assert client.post("/admin/registry/person/add/", form).status_code == 302
    added = Person.objects.get(name="重复")
    assert (added.birth_date.isoformat(), added.gender) == ("1990-05-12", "F")
