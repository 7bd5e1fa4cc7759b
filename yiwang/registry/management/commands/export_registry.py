"""`yiwang export_registry persons|houses|places --out FILE.xlsx`: an .xlsx with masked ID numbers and phones."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from yiwang.regions.models import Region
from yiwang.registry.exports import EXPORTS, export_audited


class Command(BaseCommand):
    help = "Export persons, houses or places to .xlsx (ID numbers and phones masked)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(EXPORTS))
        parser.add_argument("--out", required=True, help="the .xlsx file to write")
        parser.add_argument("--region", help="only this region's subtree (its code)")
        parser.add_argument("--user", help="export as this user: only what their role and scope may export")

    def handle(self, *args, kind, out, region, user, **options):
        acting_user = None
        if user:
            try:
                acting_user = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"没有用户 {user}") from None
        node = None
        if region:
            node = Region.objects.filter(code=region).first()
            if node is None:
                raise CommandError(f"没有编码为 {region} 的区域")
        path = Path(out)
        if path.suffix.lower() != ".xlsx":
            raise CommandError("--out 应为 .xlsx 文件")
        content, count = export_audited(kind, user=acting_user, region=node, channel="command", file=path.name)
        path.write_bytes(content)
        self.stdout.write(self.style.SUCCESS(f"已导出 {count} 行到 {path}"))
