import importlib.util
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run a benchmark from bench/NAME.py; prints one JSON object per metric."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--quick", action="store_true", help="smaller sizes, for a fast check")

    def handle(self, *args, name, quick, **options):
        path = settings.BASE_DIR / "bench" / f"{name}.py"
        if not path.exists():
            available = sorted(p.stem for p in path.parent.glob("*.py") if not p.stem.startswith(("_", "common")))
            raise CommandError(f"no benchmark {name!r}; available: {', '.join(available)}")
        # bench/ sits beside the package, so make it importable as the `bench` package.
        sys.path.insert(0, str(settings.BASE_DIR))
        spec = importlib.util.spec_from_file_location(f"bench.{name}", path)
        module = importlib.util.module_from_spec(spec)
        # Registered before it runs, as an import would: dataclasses look their module up there.
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        module.main(quick=quick)
