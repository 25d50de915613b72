"""allauth's forms, where this app's sign-in policy differs from allauth's defaults."""

from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm


class LoginForm(AllauthLoginForm):
    """Password sign-in for local staff, without allauth's "Forgot your password?" link.

    Staff passwords come from `app createstaff` and the app sends no mail, so the
    reset pages answer 404 (app/accounts/urls.py): the link would lead nowhere.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # pyright: ignore[reportUnknownMemberType] - allauth is untyped
        self.fields["password"].help_text = ""
