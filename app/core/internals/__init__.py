"""Everything the app does through Django's, asgiref's or django-ninja's internals, in one place.

Each module replaces a framework behaviour that measured or proved wrong for
this app by reaching past the public API. tests/core/test_upgrade_contract.py
checks every assumption listed here and fails naming it when an upgrade
breaks one; re-read the module it names before upgrading.

- `middleware` replaces `MiddlewareMixin.__acall__` for Django's own
  middleware, whose every hook hopped to a thread. Relies on: the hooks are
  plain methods that `MiddlewareMixin` calls around `get_response`; the
  classes it subclasses exist under their names.
- `request_threads` replaces the new thread Django's ASGI handler starts for
  each request. Relies on: `ThreadSensitiveContext(executor=...)`; the
  receivers Django connects to `request_started` (`close_old_connections`,
  `reset_queries`), which `release_connections_only_when_requests_finish`
  (called from `app.core.apps`) moves off it.
- `ninja_auth` replaces `APIKeyCookie._get_key`'s CSRF check (401, not 403,
  for a caller with no session) and reads ninja's `_ninja_csrf_exempt` flag.
- `responses` flags problem responses `_has_been_logged`, sparing each
  4xx/5xx Django's `log_response` in a thread (and each shed 503 an ERROR line).
- `asgi_request` builds Django's `ASGIRequest` from a scope with an empty
  body, for what is answered in front of Django's handler (which reads the
  whole body first): the signed upload route, the body limit. Relies on:
  `ASGIRequest(scope, body_file)` reads headers, host, scheme and path from
  the scope alone.
"""
