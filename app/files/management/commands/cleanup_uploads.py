"""`app cleanup_uploads`: remove expired pending uploads and orphan objects (cron-safe)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from app.files.cleanup import cleanup_run


class Command(BaseCommand):
    help = "Delete expired pending uploads and storage objects that no file refers to."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report without deleting")

    def handle(self, *args: Any, **options: Any) -> None:
        report = cleanup_run(dry_run=options["dry_run"])
        verb = "would remove" if options["dry_run"] else "removed"
        self.stdout.write(f"{verb} {report.expired_uploads} expired uploads and {report.orphan_objects} orphan objects")
