"""`yiwang import_codes --district 500154`: see regions.importing.import_official_codes."""

from django.core.management.base import BaseCommand, CommandError

from yiwang.regions.importing import ImportFailed, default_china_data_dir, import_official_codes, summary


class Command(BaseCommand):
    help = "从国家统计局区划代码导入区县及其街道/镇/乡 Create a district and its streets, towns and townships from the official code lists."

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True, help="6 位区县代码，如 500154 （开州区）")
        parser.add_argument("--data-dir", help=f"代码表目录（默认 $YIWANG_CHINA_DATA_DIR 或 {default_china_data_dir()}）")

    def handle(self, *args, **options):
        try:
            report = import_official_codes(district_code=options["district"], data_dir=options["data_dir"])
        except ImportFailed as failure:
            for problem in failure.problems:
                self.stderr.write(str(problem))
            raise CommandError(failure.headline) from failure
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(str(warning)))
        self.stdout.write(self.style.SUCCESS(summary(report)))
