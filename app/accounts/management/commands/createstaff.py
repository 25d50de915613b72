"""`app createstaff EMAIL`: a local staff user who signs in with a password.

For embedded mode without Google credentials. In production password sign-in
is off unless ALLOW_PASSWORD_LOGIN is set; there, `--no-password` promotes a
user who has already signed in with Google.
"""

import getpass
import os
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from app.accounts.models import User

PASSWORD_VARIABLE = "APP_STAFF_PASSWORD"  # noqa: S105 (the variable's name)
NOT_AN_EMAIL = "{email!r} is not an email address"
NO_SUCH_USER = "no user with email {email}: sign in with Google first, then run this again"
GOOGLE_SIGN_IN_ONLY = "note: password sign-in is off here (ALLOW_PASSWORD_LOGIN); {email} signs in with Google"


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


class Command(BaseCommand):
    help = (
        f"Create or update a local staff user (password from ${PASSWORD_VARIABLE} or a prompt),"
        " or with --no-password promote an existing user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--superuser", action="store_true")
        parser.add_argument(
            "--no-password",
            action="store_true",
            help="promote an existing user (who signs in with Google) without setting a password",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email: str = options["email"].strip().lower()
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(NOT_AN_EMAIL.format(email=email)) from error
        user = User.objects.filter(email__iexact=email).first()
        if options["no_password"]:
            if user is None:
                raise CommandError(NO_SUCH_USER.format(email=email))
        else:
            user = user or User(username=email, email=email)
            password = os.environ.get(PASSWORD_VARIABLE) or getpass.getpass("Password: ")
            try:
                password_validation.validate_password(password, user)  # pyright: ignore[reportUnknownMemberType]
            except ValidationError as error:
                raise CommandError(_messages(error)) from error
            user.set_password(password)  # pyright: ignore[reportUnknownMemberType]
        user.is_staff = True  # pyright: ignore[reportAttributeAccessIssue]
        user.is_superuser = options["superuser"] or user.is_superuser  # pyright: ignore[reportAttributeAccessIssue]
        user.save()  # pyright: ignore[reportUnknownMemberType]
        EmailAddress.objects.update_or_create(
            user=user,
            email__iexact=email,
            defaults={"email": email, "verified": True, "primary": True},
        )
        self.stdout.write(f"staff user {email} is ready")  # pyright: ignore[reportUnknownMemberType]
        if not settings.ALLOW_PASSWORD_LOGIN and not options["no_password"]:
            self.stderr.write(GOOGLE_SIGN_IN_ONLY.format(email=email))  # pyright: ignore[reportUnknownMemberType]
