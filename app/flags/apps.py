from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "app.flags"
    label = "flags"
