"""`yiwang import_cases FILE --preset la2017 --region GRID`: historic cases from another system's export.

Nothing is written unless every row is valid (or --skip-bad-rows leaves the bad ones out); the
problems are listed one per line as row, column, reason.
"""

from __future__ import annotations

from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError

from yiwang.cases.importing import PRESETS, Mapping, MappingError, import_cases
from yiwang.cases.importing import preset as preset_mapping
from yiwang.cases.models import Status
from yiwang.core.importing import ImportFailed


def _where(error) -> str:
    return f"{'文件' if error.row is None else f'第{error.row}行'}\t{error.column or '-'}\t{error.reason}"


class Command(BaseCommand):
    help = "Import historic cases from a CSV or .xlsx export of another system (311 and the like)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--preset", choices=sorted(PRESETS), help="a known export's mapping")
        parser.add_argument("--mapping", help="a JSON mapping (keys of cases.importing.Mapping); with --preset it overrides the preset's keys")
        parser.add_argument("--region", required=True, help="code of the grid for rows whose point is in none of ours")
        parser.add_argument("--tz", help="time zone of naive times in the file, e.g. America/Los_Angeles")
        parser.add_argument("--source", help="external_source to record (default: the mapping's)")
        parser.add_argument("--encoding", help="CSV encoding (default: detect UTF-8 or GBK/GB18030)")
        parser.add_argument("--skip-bad-rows", action="store_true", help="import the valid rows and list the others")
        parser.add_argument("--warnings", action="store_true", help="list every warning, not only their count")

    def handle(self, *args, file, preset: str | None, mapping: str | None, region, tz, source, encoding, skip_bad_rows, warnings, **options):
        if not preset and not mapping:
            raise CommandError("give --preset or --mapping")
        try:
            chosen = preset_mapping(preset) if preset else None
            if mapping:
                chosen = Mapping.from_json(mapping, base=chosen)
            overrides = {k: v for k, v in (("tz", tz), ("source", source)) if v}
            chosen = replace(chosen, **overrides) if overrides else chosen
            result = import_cases(file, mapping=chosen, region=region, skip_bad_rows=skip_bad_rows, encoding=encoding)
        except MappingError as exc:
            raise CommandError(str(exc)) from None
        except ImportFailed as failed:
            for error in failed.errors:
                self.stderr.write(_where(error))
            raise CommandError(f"导入失败：{len(failed.errors)} 处错误，没有写入任何数据") from None

        for error in result.skipped:
            self.stderr.write(f"跳过 {_where(error)}")
        for warning in result.warnings if warnings else ():
            self.stderr.write(f"提示 {_where(warning)}")
        statuses = "，".join(f"{Status(s).label} {n}" for s, n in sorted(result.by_status.items()))
        median = "—" if result.median_hours is None else f"{result.median_hours:.2f} 小时"
        self.stdout.write(self.style.SUCCESS(f"已导入 {result.created}/{result.rows} 行（来源 {result.source}）：{statuses}"))
        self.stdout.write(f"结案用时中位数：{median}")
        if result.skipped:
            self.stdout.write(f"跳过 {len({e.row for e in result.skipped})} 行（{len(result.skipped)} 处错误）")
        if result.warnings:
            self.stdout.write(f"提示 {len(result.warnings)} 条" + ("" if warnings else "（加 --warnings 查看）"))
