import pytest


@pytest.mark.django_db
def test_healthz_reports_database_and_region_count(client, tree):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] in {"sqlite", "postgresql"}
    assert body["regions"] == 9


def test_subtree_uses_path_prefix(tree):
    from yiwang.regions.models import Region

    codes = set(Region.objects.filter(path__startswith=tree.community.path).values_list("code", flat=True))
    assert codes == {"500154003001", "500154003001001", "500154003001002", "50015400300100101", "50015400300100102", "50015400300100201"}
    assert tree.grid_a.path not in {r.path for r in tree.grid_b.subtree()}


def test_recoding_a_node_moves_its_subtree(tree):
    from yiwang.regions.models import Region

    tree.community.code = "500154003009"
    tree.community.save()
    micro = Region.objects.get(pk=tree.micro_a1.pk)
    assert micro.path == "/500154/500154003000/500154003009/500154003001001/50015400300100101/"
    assert micro.depth == 4
    assert set(tree.street.subtree().values_list("pk", flat=True)) >= {tree.grid_a.pk, tree.micro_b1.pk}


def test_party_tree_refuses_wrong_parent_kind(tree):
    from django.core.exceptions import ValidationError

    from yiwang.party.models import PartyOrganization

    committee = PartyOrganization.objects.create(kind="street_committee", name="云枫街道党工委", region=tree.street)
    grid_branch = PartyOrganization(kind="grid_branch", name="网格党支部", region=tree.grid_a, parent=committee)
    with pytest.raises(ValidationError, match="不能隶属于"):
        grid_branch.full_clean()
    community = PartyOrganization.objects.create(kind="community_committee", name="永先社区党委", region=tree.community, parent=committee)
    grid_branch.parent = community
    grid_branch.full_clean()
    # A branch must sit inside its parent's region.
    outside = PartyOrganization(kind="grid_branch", name="错位支部", region=tree.other_street, parent=community)
    with pytest.raises(ValidationError, match="上级组织的区域之内"):
        outside.full_clean()
