"""`yiwang advise_grids CODE [--json]`: propose grids and micro-grids for a community or a street."""

import json

from django.core.management.base import BaseCommand, CommandError

from yiwang.advisor import selectors


def _range(text: str, label: str) -> tuple[int, int]:
    try:
        low, high = (int(part) for part in text.replace("–", "-").split("-", 1))
    except ValueError as error:
        raise CommandError(f"{label}“{text}”无效：应写作 下限-上限，如 300-500") from error
    if low <= 0 or high < low:
        raise CommandError(f"{label}“{text}”无效：下限须大于 0 且不大于上限")
    return low, high


class Command(BaseCommand):
    help = "为社区或街道给出网格与微网格的划分建议 Propose grids and micro-grids for a community or a street."

    def add_arguments(self, parser):
        parser.add_argument("code", help="社区或街道代码（12 位）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")
        parser.add_argument("--households", help="每个网格的户数范围，如 300-500（默认取设置）")
        parser.add_argument("--micro-households", help="每个微网格的户数范围，如 30-80（默认取设置）")
        parser.add_argument("--seconds", type=float, default=None, help="每个社区求解的时限（秒）")

    def handle(self, *args, **options):
        grid_range = _range(options["households"], "网格户数范围") if options["households"] else None
        micro_range = _range(options["micro_households"], "微网格户数范围") if options["micro_households"] else None
        extra = {"seconds": options["seconds"]} if options["seconds"] else {}
        try:
            region = selectors.region_for_advice(options["code"])
            communities = selectors.communities_of(region)
            if not communities:
                raise selectors.AdviceRefused(f"{region.name}（{region.code}）下没有社区")
            advices = [selectors.advise_community(c, grid_range=grid_range, micro_range=micro_range, **extra) for c in communities]
        except selectors.AdviceRefused as error:
            raise CommandError(str(error)) from None
        result = selectors.advice_as_json(advices)
        result["region"] = region.code
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        for advice in advices:
            self.stdout.write(f"{advice.community.name}（{advice.community.code}），方法 {advice.proposal.method}")
            for grid in advice.proposal.grids:
                joined = "连通" if grid.connected else "不连通"
                self.stdout.write(f"  {grid.code}：{grid.households} 户，工作量 {grid.workload:g}，{len(grid.buildings)} 栋楼，{joined}")
                for number, micro in enumerate(advice.micro_grids.get(grid.code, []), start=1):
                    self.stdout.write(f"    微网格{number}：{micro.households} 户，{len(micro.buildings)} 栋楼")
                if grid.code in advice.micro_problem:
                    self.stdout.write(f"    微网格：{advice.micro_problem[grid.code]}")
        self.stdout.write(f"工作量离散系数（标准差÷均值）：现行 {result['current_spread']:.3f}，建议 {result['proposed_spread']:.3f}；"
                          f"调整户数 {result['moved']}")
