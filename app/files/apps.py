from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "app.files"
    label = "files"
