"""`yiwang import_boundaries FILE.geojson --level grid ...`: see regions.importing.import_boundaries."""

from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError

from yiwang.regions.coords import CRS_CHOICES
from yiwang.regions.importing import ImportFailed, import_boundaries, summary
from yiwang.regions.models import Level
from yiwang.regions.validation import Tolerances


class Command(BaseCommand):
    help = "导入 GeoJSON 边界（整个文件要么全部导入，要么全部拒绝） Import region boundaries from a GeoJSON FeatureCollection, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="GeoJSON FeatureCollection 文件")
        parser.add_argument("--level", required=True, choices=Level.values, help="要素的层级 level of every feature")
        parser.add_argument("--parent-code", help="没有上级属性的要素挂到这个上级 parent for features without a parent property")
        parser.add_argument("--code-prop", default="code", help="代码属性名（默认 code）")
        parser.add_argument("--name-prop", default="name", help="名称属性名（默认 name）")
        parser.add_argument("--parent-prop", default="parent_code", help="上级代码属性名（默认 parent_code）")
        parser.add_argument("--households-prop", default="actual_households", help="实际户数属性名（默认 actual_households）")
        parser.add_argument("--target-households-prop", default="target_households", help="目标户数属性名（默认 target_households）")
        parser.add_argument("--grid-kind-prop", default="grid_kind", help="网格类型属性名 regular/dedicated （默认 grid_kind）")
        parser.add_argument("--crs", default="wgs84", choices=CRS_CHOICES, help="文件坐标系; gcj02 = 高德/腾讯, bd09 = 百度（默认 wgs84）")
        parser.add_argument("--outside-parent-share", type=float, help="允许超出上级的面积比例（默认 0.01）")
        parser.add_argument("--sibling-overlap-share", type=float, help="允许同级重叠的面积比例（默认 0.01）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入 check only, write nothing")

    def handle(self, *args, **options):
        tolerances = Tolerances.from_settings()
        overrides = {
            "outside_parent_share": options["outside_parent_share"],
            "sibling_overlap_share": options["sibling_overlap_share"],
        }
        tolerances = replace(tolerances, **{name: value for name, value in overrides.items() if value is not None})
        try:
            report = import_boundaries(
                source=options["file"],
                level=options["level"],
                parent_code=options["parent_code"],
                code_prop=options["code_prop"],
                name_prop=options["name_prop"],
                parent_prop=options["parent_prop"],
                households_prop=options["households_prop"],
                target_households_prop=options["target_households_prop"],
                grid_kind_prop=options["grid_kind_prop"],
                crs=options["crs"],
                tolerances=tolerances,
                progress=options["verbosity"] > 0,
                dry_run=options["dry_run"],
            )
        except ImportFailed as failure:
            for problem in failure.problems:
                self.stderr.write(str(problem))
            raise CommandError(failure.headline) from failure
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(str(warning)))
        self.stdout.write(self.style.SUCCESS(summary(report)))
