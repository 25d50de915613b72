"""allauth policy: who may sign in, and how a Google identity maps to a user."""

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponseForbidden

from app.accounts.models import User
from app.integrations.google_oauth import GoogleProvider

logger = logging.getLogger(__name__)

UNVERIFIED_EMAIL = "Sign-in refused: Google has not verified this email address."
PROVIDER_OFF = "This sign-in provider is not configured."
EMAIL_IN_USE = (
    "Sign-in refused: an account with this email address already exists. Sign in to it"
    " the way you usually do; it is never joined to a Google account automatically."
)


def _refuse(message: str) -> ImmediateHttpResponse:
    response = HttpResponseForbidden(message.encode(), content_type="text/plain; charset=utf-8")
    return ImmediateHttpResponse(response)


def _verified_email(sociallogin: Any) -> str | None:
    """The email Google vouches for: the ID token says `email_verified: true`, literally.

    allauth takes any truthy value (even the string "false") as verified, so the
    claim itself is read here.
    """
    claims: dict[str, Any] = sociallogin.account.extra_data or {}
    email = claims.get("email")
    if isinstance(email, str) and email and claims.get("email_verified") is True:
        return email
    return None


def _email_in_use(email: str) -> bool:
    return (
        User.objects.filter(email__iexact=email).exists() or EmailAddress.objects.filter(email__iexact=email).exists()
    )


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Local accounts are created by `app createstaff`, never by a form.
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_provider(self, request: HttpRequest, provider: str, client_id: str | None = None) -> Any:
        # Our Google provider (endpoints from settings) wherever allauth looks one up.
        try:
            found = super().get_provider(request, provider, client_id=client_id)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        except ObjectDoesNotExist:  # SocialApp.DoesNotExist
            # Sign-in with a provider that is not configured (no client ID): not here.
            raise Http404(PROVIDER_OFF) from None
        if found.id == GoogleProvider.id and not isinstance(found, GoogleProvider):  # pyright: ignore[reportUnknownMemberType]
            return GoogleProvider(request, app=found.app)  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        return found  # pyright: ignore[reportUnknownVariableType]

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return bool(settings.GOOGLE_OAUTH_CLIENT_ID)

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        # An email Google has not verified proves nothing: refuse the sign-in
        # rather than create or match an account with it.
        email = _verified_email(sociallogin)
        if email is None:
            raise _refuse(UNVERIFIED_EMAIL)
        if sociallogin.is_existing or sociallogin.state.get("process") == AuthProcess.CONNECT:
            return
        # A new Google identity whose email an account already has: never join
        # them (that account's email may be unverified, or its password known
        # to someone else), and never offer the signup form, where a user could
        # pick an address nobody has verified.
        if _email_in_use(email):
            raise _refuse(EMAIL_IN_USE)

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: BaseException | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        # The page the visitor sees says little; the operator's log says why.
        logger.warning(
            "social sign-in failed",
            extra={
                "provider": getattr(provider, "id", None),
                "auth_error": str(error),
                "exception": type(exception).__name__ if exception else None,
                "reason": str(exception)[:300] if exception else None,
            },
        )
