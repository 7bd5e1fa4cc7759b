"""`yiwang demo`: load the demo district (开州区, 云枫街道 in full) and print the demo logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import ProtectedError

from yiwang.demo.generator import (
    DEFAULT_SEED,
    SMALL_PERSONS_PER_STREET,
    DemoAlreadyLoaded,
    DemoOptions,
    NotDemoData,
    build_demo,
    built_by_demo,
    delete_demo,
    is_loaded,
)
from yiwang.demo.history import DEFAULT_YEARS, build_skeleton
from yiwang.demo.logins import existing_logins
from yiwang.demo.plan import PERSONS_PER_STREET


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Load the demo district: 重庆市开州区 with 云枫街道 in full, deterministic from --seed."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed; the same seed gives the same data (default {DEFAULT_SEED})")
        parser.add_argument("--scale", type=positive, default=1,
                            help="number of 云枫-like streets (115 grids each); extra ones are synthetic, for benchmarks (default 1)")
        parser.add_argument("--persons", type=positive, default=None,
                            help=f"residents per 云枫-like street (default {PERSONS_PER_STREET:,}); the region structure does not change")
        parser.add_argument("--small", action="store_true", help=f"a quick demo for tests: --persons {SMALL_PERSONS_PER_STREET:,}")
        parser.add_argument("--reset", action="store_true", help="delete the demo data first if it is loaded, then rebuild")
        parser.add_argument("--delete", action="store_true", help="only delete the demo data")
        parser.add_argument("--cases", type=positive, default=None,
                            help="historic cases (years before now, set-based; yiwang.demo.history): the build's history instead of its default "
                                 "size, or added to the demo already loaded")
        parser.add_argument("--years", type=float, default=None, help="years of history for --cases (default 3)")
        parser.add_argument("--regions-only", action="store_true",
                            help="only the region skeleton, departments and logins (no residents, houses, party, forces or cases): "
                                 "fast, for a megacity with --scale and --cases")
        parser.add_argument("--streets-per-district", type=positive, default=None,
                            help="with --regions-only: at most this many streets per district, so a large --scale makes several districts")

    def handle(self, *args, seed: int, scale: int, persons: int | None, small: bool, reset: bool, delete: bool, verbosity: int,
               cases: int | None = None, years: float | None = None, regions_only: bool = False,
               streets_per_district: int | None = None, **options):
        def log(message: str) -> None:
            if verbosity >= 1:
                self.stdout.write(message)

        if persons is not None and small:
            raise CommandError("--small and --persons are alternatives; give one")
        if streets_per_district is not None and not regions_only:
            raise CommandError("--streets-per-district goes with --regions-only")
        if regions_only and not delete:
            try:
                counts, logins = build_skeleton(seed=seed, scale=scale, streets_per_district=streets_per_district, reset=reset, log=log)
            except DemoAlreadyLoaded as skipped:
                if not cases:
                    self.stdout.write(self.style.WARNING(str(skipped)))
                    return
                logins = existing_logins()
            except (FileNotFoundError, ProtectedError, NotDemoData) as error:
                raise CommandError(str(error)) from error
            if cases:
                self._add_history(cases, years, seed, log)
            self.stdout.write(self.style.SUCCESS(f"demo skeleton loaded (seed {seed}, scale {scale})"))
            self.stdout.write("")
            self._print_logins(logins)
            return
        try:
            if delete:
                if not is_loaded():
                    self.stdout.write("no demo loaded")
                    return
                delete_demo(log=log)
                self.stdout.write(self.style.SUCCESS("demo deleted"))
                return
            # A new build writes its own history (DemoOptions' default size, or --cases over --years).
            history = {"history_cases": cases, "history_years": years or DEFAULT_YEARS} if cases else {}
            options = DemoOptions(seed=seed, scale=scale, persons_per_street=persons or (SMALL_PERSONS_PER_STREET if small else PERSONS_PER_STREET),
                                  **history)
            summary = build_demo(options=options, reset=reset, log=log)
        except DemoAlreadyLoaded as skipped:
            self.stdout.write(self.style.WARNING(str(skipped)))
            if cases and built_by_demo():
                self._add_history(cases, years, seed, log)
            if built_by_demo():
                self.stdout.write("")
                self._print_logins(existing_logins())
                self._print_open311()
            return
        except (FileNotFoundError, ProtectedError, NotDemoData) as error:
            raise CommandError(str(error)) from error

        if verbosity >= 1:
            self.stdout.write("")
            for label, count in summary.counts.items():
                self.stdout.write(f"  {label:<22} {count:>10,}")
        self.stdout.write(self.style.SUCCESS(f"demo loaded in {summary.seconds:.1f} s (seed {seed}, scale {scale})"))
        self.stdout.write("")
        self._print_logins(summary.logins)
        self._print_open311()

    def _add_history(self, cases: int, years: float | None, seed: int, log) -> None:
        from yiwang.demo.generator import demo_roots
        from yiwang.demo.history import DEFAULT_YEARS, build_history

        summary = build_history(cases=cases, root=list(demo_roots()), years=years or DEFAULT_YEARS, seed=seed, log=log)
        self.stdout.write(self.style.SUCCESS(
            f"history: {summary.cases:,} cases ({summary.open:,} open now), {summary.rollup_rows:,} + {summary.open_rollup_rows:,} "
            f"rollup rows in {summary.seconds:.1f} s"))

    def _print_open311(self) -> None:
        from yiwang.demo.closed_loop import issue_open311_key, public_matters

        self.stdout.write("")
        self.stdout.write("Open311 GeoReport v2: /open311/v2/  (jurisdiction_id 500154; a new key each run, the old one is revoked)")
        self.stdout.write(f"api_key: {issue_open311_key()}")
        matters = public_matters()
        self.stdout.write(f"public service codes ({len(matters)}): " + ", ".join(f"{m.service_code} {m.name}" for m in matters))

    def _print_logins(self, logins) -> None:
        headers = ("username", "role", "scope", "password")
        rows = [(row.username, row.role, row.scope, row.password) for row in logins]
        widths = [max(_width(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
        for cells in [headers, tuple("-" * w for w in widths), *rows]:
            self.stdout.write("  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(cells, widths, strict=True)).rstrip())
        secrets = sorted({row.totp for row in logins if row.totp})
        for secret in secrets:
            names = ", ".join(row.username for row in logins if row.totp == secret)
            self.stdout.write(f"two-factor ({names}): TOTP secret {secret} (add it to an authenticator app, "
                              f"or `oathtool --totp -b {secret}`); YIWANG_2FA_ROLES= turns the second factor off")


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
