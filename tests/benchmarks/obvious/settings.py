"""`django-admin startproject`'s settings, with the database from DATABASE_URL and a pool."""

import os

import dj_database_url

SECRET_KEY = "benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "tests.benchmarks.obvious",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tests.benchmarks.obvious.urls"
AUTH_USER_MODEL = "obvious.User"

DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
# Django's psycopg pool, sized for 64 concurrent requests (the async ORM keeps
# a connection for the whole request).
DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 4, "max_size": 64}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"
