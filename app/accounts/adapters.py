"""allauth policy: who may sign in, and how a Google identity maps to a user."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest, HttpResponseForbidden

UNVERIFIED_EMAIL = "Sign-in refused: Google has not verified this email address."


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Local accounts are created by `app createstaff`, never by a form.
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return bool(settings.GOOGLE_OAUTH_CLIENT_ID)

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        # An email Google has not verified proves nothing: refuse the sign-in
        # rather than create or match an account with it.
        if not any(address.verified for address in sociallogin.email_addresses):
            raise ImmediateHttpResponse(
                HttpResponseForbidden(UNVERIFIED_EMAIL, content_type="text/plain")
            )
