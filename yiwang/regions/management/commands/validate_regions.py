"""`yiwang validate_regions CODE`: audit a saved subtree (codes, boundaries, households)."""

from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError

from yiwang.regions.models import Region
from yiwang.regions.validation import Tolerances, validate_tree


class Command(BaseCommand):
    help = "检查一个区域及其全部下级的代码、边界与户数 Check a region and everything below it."

    def add_arguments(self, parser):
        parser.add_argument("code", help="区域代码，如 500154003000")
        parser.add_argument("--outside-parent-share", type=float, help="允许超出上级的面积比例（默认 0.01）")
        parser.add_argument("--sibling-overlap-share", type=float, help="允许同级重叠的面积比例（默认 0.01）")

    def handle(self, *args, **options):
        root = Region.objects.filter(code=options["code"]).first()
        if root is None:
            raise CommandError(f"区域代码 {options['code']} 不存在; no region with code {options['code']}")
        tolerances = Tolerances.from_settings()
        overrides = {"outside_parent_share": options["outside_parent_share"], "sibling_overlap_share": options["sibling_overlap_share"]}
        tolerances = replace(tolerances, **{name: value for name, value in overrides.items() if value is not None})
        problems = validate_tree(root, tolerances=tolerances)
        for problem in problems:
            (self.stderr if problem.is_error else self.stdout).write(str(problem))
        errors = sum(p.is_error for p in problems)
        summary = f"{root}: {errors} 个错误 error(s), {len(problems) - errors} 个警告 warning(s), {root.subtree().count()} 个区域 regions checked"
        if errors:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
