"""`app serve`: migrate (embedded mode) and run the ASGI app under uvicorn."""

from typing import Any

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the API with uvicorn (uvloop + httptools)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--reload", action="store_true", help="restart on code changes")
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="skip migrations (production runs them as a separate step)",
        )
        parser.add_argument(
            "--forwarded-allow-ips",
            default="127.0.0.1",
            help="proxies whose X-Forwarded-For/Proto are trusted",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"] and not settings.IS_PRODUCTION:
            call_command("migrate", interactive=False, verbosity=0)
        if not settings.IS_PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        uvicorn.run(
            "app.config.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            reload=options["reload"],
            loop="uvloop",
            http="httptools",
            # Django has no lifespan support; telemetry answers it to flush at shutdown.
            lifespan="on" if settings.OTEL_ENABLED else "off",
            proxy_headers=True,
            forwarded_allow_ips=options["forwarded_allow_ips"],
            access_log=False,
            timeout_graceful_shutdown=settings.SHUTDOWN_GRACE_SECONDS,
            server_header=False,
            log_config=None,
        )
