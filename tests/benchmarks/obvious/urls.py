from django.urls import path

from tests.benchmarks.obvious.api import api

urlpatterns = [path("api/", api.urls)]
