from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "app.core"
    label = "core"

    def ready(self) -> None:
        # Imported for its side effect: the module registers the system checks.
        from app.core import checks  # noqa: F401  # pyright: ignore[reportUnusedImport]
        from app.core.internals.request_threads import release_connections_only_when_requests_finish

        release_connections_only_when_requests_finish()
