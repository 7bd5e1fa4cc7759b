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
