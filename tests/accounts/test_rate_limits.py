"""Sign-in rate limits hold across every process that serves, not per worker."""

import re
import uuid

import httpx
from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from tests.support.live_app import LiveApp

TOO_MANY_ATTEMPTS = str(DefaultAccountAdapter.error_messages["too_many_login_attempts"])
# allauth's default: this many failures per login name, then refusals.
FAILURES_ALLOWED = 5
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_failed_sign_ins_are_counted_across_processes(embedded_pair: tuple[LiveApp, LiveApp]) -> None:
    login = f"someone-{uuid.uuid4().hex[:8]}@example.com"
    # One site, as a deployment's workers all serve one (allauth keys the limit on the site's domain).
    with httpx.Client(headers={"Host": "localhost"}) as browser:
        form = browser.get(f"{embedded_pair[0].base_url}{settings.LOGIN_URL}")
        csrf = _CSRF_FIELD.search(form.text)
        assert csrf is not None, form.text
        answers: list[str] = []
        for attempt in range(FAILURES_ALLOWED + 1):
            # Alternately to each process: with limits kept per process, neither would see enough failures.
            app = embedded_pair[attempt % 2]
            answer = browser.post(
                f"{app.base_url}{settings.LOGIN_URL}",
                data={"login": login, "password": "not the password", "csrfmiddlewaretoken": csrf[1]},
            )
            assert answer.status_code in (200, 429), answer.status_code
            answers.append(answer.text)
    assert not any(TOO_MANY_ATTEMPTS in answer for answer in answers[:FAILURES_ALLOWED])
    assert TOO_MANY_ATTEMPTS in answers[FAILURES_ALLOWED]
