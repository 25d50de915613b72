"""The obvious implementation of the hot endpoints, the yardstick for the real app.

What a competent Django developer writes first: `django-admin startproject`'s
settings and middleware, django-ninja, a bearer token looked up through the
async ORM, the page through the async ORM, Django's connection pool sized for
the load. It reads the real app's tables (its models are unmanaged copies), so
both apps serve the same rows from the same PostgreSQL.

    DATABASE_URL=postgres://... uvicorn tests.benchmarks.obvious.asgi:application
"""
