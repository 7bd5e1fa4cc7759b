"""`yiwang import_registry persons|houses|places FILE`: bulk import with a row-level error report."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from yiwang.registry.importing import IMPORTERS, ImportFailed


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        name, sep, header = pair.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise CommandError(f"--map {pair!r}：应写成 字段=表头，例如 --map id_number=证件号")
        mapping[name.strip()] = header.strip()
    return mapping


class Command(BaseCommand):
    help = "Import persons, houses or places from a CSV or .xlsx file. Nothing is written unless every row is valid."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file")
        parser.add_argument("--encoding", help="CSV encoding, e.g. gbk (default: detect UTF-8 or GBK/GB18030)")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=HEADER",
                            help="read FIELD from the column headed HEADER; repeatable")
        parser.add_argument("--user", help="import as this user: their role and data scope apply, and the audit log names them")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, kind, file, encoding, map, user, no_progress, **options):
        acting_user = None
        if user:
            try:
                acting_user = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"没有用户 {user}") from None
        importer = IMPORTERS[kind]
        try:
            report = importer(source=file, mapping=parse_mapping(map) or None, encoding=encoding,
                              acting_user=acting_user, progress=not no_progress)  # fmt: skip
        except ImportFailed as failed:
            for error in failed.errors:
                where = "文件" if error.row is None else f"第{error.row}行"
                self.stderr.write(f"{where}\t{error.column or '-'}\t{error.reason}")
            raise CommandError(f"导入失败：{len(failed.errors)} 处错误，没有写入任何数据") from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        for warning in report.warnings:
            where = "文件" if warning.row is None else f"第{warning.row}行"
            self.stderr.write(f"提示 {where}\t{warning.column or '-'}\t{warning.reason}")
        self.stdout.write(self.style.SUCCESS(f"已导入 {report.rows} 行：新增 {report.created}，更新 {report.updated}"))
