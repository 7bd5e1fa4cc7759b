import pytest


@pytest.fixture
def department(users, tree):
    """The district's urban-management department, with the `department` login as its member."""
    from yiwang.matters.models import Department

    dept = Department.objects.create(code="CG01", name="城管执法局", kind="urban_management", region=tree.district)
    dept.members.add(users["department"])
    return dept
