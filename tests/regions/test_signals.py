import pytest
from django.db import transaction

from yiwang.regions.models import BoundaryVersion, Level, Region
from yiwang.regions.signals import boundary_changes_batched

from .helpers import rect


def bumps_during(action) -> int:
    before = BoundaryVersion.current()
    action()
    return BoundaryVersion.current() - before


def test_what_moves_the_version(tree):
    grid_a = Region.objects.get(pk=tree.grid_a.pk)

    def rename():
        grid_a.name = "改名"
        grid_a.save()

    def reshape():
        grid_a.boundary = rect(108.30, 31.10, 108.309, 31.11)
        grid_a.save()

    def reshape_street():
        tree.other_street.boundary = rect(108.40, 31.10, 108.50, 31.21)
        tree.other_street.save()

    def rename_street():
        tree.other_street.name = "汉丰"
        tree.other_street.save()

    def new_grid_without_boundary():
        Region.objects.create(parent=tree.community, level=Level.GRID, code="500154003001003", name="三")

    def delete_micro_grid():
        Region.objects.get(pk=tree.micro_b1.pk).delete()

    def renumber_grid():
        grid = Region.objects.get(code="500154003001003")
        grid.code = "500154003001009"
        grid.save()

    def move_community():  # its grids are not saved, but their paths change
        community = Region.objects.get(pk=tree.community.pk)
        community.parent, community.code = tree.other_street, "500154001009"
        community.save()

    assert bumps_during(rename) == 0
    assert bumps_during(reshape) == 1
    assert bumps_during(reshape_street) == 1
    assert bumps_during(rename_street) == 0
    assert bumps_during(new_grid_without_boundary) == 1
    assert bumps_during(delete_micro_grid) == 1
    assert bumps_during(renumber_grid) == 1
    assert bumps_during(move_community) == 1


def test_saving_only_other_fields_does_not_bump(tree):
    grid = Region.objects.get(pk=tree.grid_a.pk)
    grid.name = "改名"
    before = BoundaryVersion.current()
    grid.save(update_fields=["name", "updated_at"])
    assert BoundaryVersion.current() == before


def test_a_save_that_cannot_tell_bumps_rather_than_risk_a_stale_index(tree):
    grid = Region.objects.defer("boundary").get(pk=tree.grid_a.pk)
    grid.boundary = rect(108.30, 31.10, 108.309, 31.11)
    before = BoundaryVersion.current()
    grid.save()
    assert BoundaryVersion.current() == before + 1


def test_a_batch_bumps_once(tree):
    def many_saves():
        with boundary_changes_batched():
            for region in (tree.grid_a, tree.grid_b, tree.micro_a1):
                region.boundary = region.boundary.replace("31.11", "31.1099")
                region.save()
            with boundary_changes_batched():  # nested blocks join the outer one
                tree.micro_b1.boundary = rect(108.31, 31.10, 108.32, 31.1099)
                tree.micro_b1.save()

    assert bumps_during(many_saves) == 1


def test_a_failed_batch_bumps_nothing(tree):
    before = BoundaryVersion.current()
    with pytest.raises(RuntimeError):
        with transaction.atomic(), boundary_changes_batched():
            tree.grid_a.boundary = rect(108.30, 31.10, 108.309, 31.11)
            tree.grid_a.save()
            raise RuntimeError("import failed half way")
    assert BoundaryVersion.current() == before
    assert Region.objects.get(pk=tree.grid_a.pk).max_lon == pytest.approx(108.31)
