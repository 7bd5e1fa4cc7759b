"""The demo never deletes a real district that happens to carry the demo's official code."""

import pytest
from django.core.management import CommandError, call_command

from yiwang.regions.importing import default_china_data_dir, import_official_codes
from yiwang.regions.models import Region


@pytest.mark.django_db
def test_reset_refuses_a_real_district_with_the_demo_code():
    import_official_codes(district_code="500154", data_dir=default_china_data_dir())
    before = Region.objects.count()
    with pytest.raises(CommandError, match="不是由 `yiwang demo` 生成的"):
        call_command("demo", "--delete", verbosity=0)
    with pytest.raises(CommandError, match="不是由 `yiwang demo` 生成的"):
        call_command("demo", "--reset", "--small", verbosity=0)
    assert Region.objects.count() == before
