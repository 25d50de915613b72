"""`app createstaff EMAIL`: a local staff user who signs in with a password.

For embedded mode without Google credentials; in production password sign-in
is off unless ALLOW_PASSWORD_LOGIN is set.
"""

import getpass
import os
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from app.accounts.models import User

PASSWORD_VARIABLE = "APP_STAFF_PASSWORD"


class Command(BaseCommand):
    help = f"Create or update a local staff user (password from ${PASSWORD_VARIABLE} or a prompt)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--superuser", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        email: str = options["email"].strip().lower()
        password = os.environ.get(PASSWORD_VARIABLE) or getpass.getpass("Password: ")
        user = User.objects.filter(email__iexact=email).first() or User(username=email, email=email)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        user.is_staff = True
        user.is_superuser = options["superuser"] or user.is_superuser
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        self.stdout.write(f"staff user {email} is ready")
