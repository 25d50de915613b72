"""Settings for a served app whose Google sign-in goes to the fake Google on loopback.

A served app (tests/support/live_app.py) runs in a process of its own, where a
test cannot change settings. `FakeGoogle.served_app_env()` names this module
as DJANGO_SETTINGS_MODULE and passes the fake's endpoints in
FAKE_GOOGLE_ENDPOINTS: the same seam, settings.GOOGLE_OAUTH_ENDPOINTS, that
the in-process tests set directly. Everything else is the real settings.
"""

import json
import os

from app.config.csp import content_security_policy
from app.config.settings import *  # noqa: F403  # pyright: ignore[reportWildcardImportFromLibrary]
from app.config.settings import STORAGE_URL_FOR_BROWSERS

GOOGLE_OAUTH_ENDPOINTS: dict[str, str] = json.loads(os.environ["FAKE_GOOGLE_ENDPOINTS"])
# The sign-in form's redirect now goes to the fake's authorize page.
SECURE_CSP = content_security_policy(
    sign_in_url=GOOGLE_OAUTH_ENDPOINTS["authorize"], storage_url=STORAGE_URL_FOR_BROWSERS
)
