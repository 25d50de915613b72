"""`app issue_token EMAIL`: print a new personal API token (for scripts and load tests)."""

from typing import Any

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand, CommandError, CommandParser

from app.accounts.models import User
from app.accounts.services import token_create
from app.core.problems import Problem

NO_SUCH_USER = "no user with email {email} (use --create-user)"


class Command(BaseCommand):
    help = "Issue a personal API token for an existing user and print it (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="cli")
        parser.add_argument("--ttl-days", type=int, default=None)
        parser.add_argument("--create-user", action="store_true", help="create the user if missing")

    def handle(self, *args: Any, **options: Any) -> None:
        email: str = options["email"].strip().lower()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            if not options["create_user"]:
                raise CommandError(NO_SUCH_USER.format(email=email))
            user = User.objects.create_user(username=email, email=email)
        try:
            issued = async_to_sync(token_create)(user=user, name=options["name"], ttl_days=options["ttl_days"])
        except Problem as problem:
            raise CommandError(problem.detail) from problem
        # Only the secret on stdout, so `TOKEN=$(app issue_token …)` works.
        self.stdout.write(issued.secret)  # pyright: ignore[reportUnknownMemberType]
