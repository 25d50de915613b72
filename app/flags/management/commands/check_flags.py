"""`app check_flags [FILE]`: would the app put this flag file in force? Run it before shipping an edit."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from app.flags.validation import FlagFileRefused, flag_set_from

ACCEPTED = "{path}: the app would put these flags in force: {keys}"
REFUSED = "{path}: the app would refuse this file: {reason}"


class Command(BaseCommand):
    help = "Check a flag file as the app does before putting it in force (default: FLAGS_FILE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="the flag file (default: FLAGS_FILE)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"] or settings.FLAGS_FILE
        try:
            flag_set = flag_set_from(path.read_bytes())
        except FlagFileRefused as refused:
            raise CommandError(REFUSED.format(path=path, reason=refused)) from None
        except OSError as error:
            raise CommandError(REFUSED.format(path=path, reason=error.strerror)) from None
        self.stdout.write(ACCEPTED.format(path=path, keys=", ".join(flag_set.keys)))
