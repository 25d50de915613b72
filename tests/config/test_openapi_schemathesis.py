"""The OpenAPI schema is valid, and the real server honours it for generated input."""

from collections.abc import Iterator
from typing import cast

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.config.api import api
from tests.plugin import postgres_cluster
from tests.support.live_app import LiveApp, live_app, live_app_env

RAW_SCHEMA = api.get_openapi_schema()
schema = schemathesis.openapi.from_dict(RAW_SCHEMA)


def test_openapi_schema_is_valid() -> None:
    validate(RAW_SCHEMA)


def test_every_operation_documents_problem_responses() -> None:
    for path, item in RAW_SCHEMA["paths"].items():
        for method, operation in item.items():
            for status in ("401", "404", "422"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, (method, path, status)


@pytest.fixture(scope="module")
def live() -> Iterator[LiveApp]:
    env = live_app_env(postgres_cluster(), {"ACCESS_LOG": "0", "FILES_SMALL_UPLOAD_MAX_BYTES": "65536"})
    with live_app(env) as app:
        yield app


@schema.parametrize()
@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=cast(list[HealthCheck], list(HealthCheck)))
def test_api_answers_every_generated_request_without_5xx_or_schema_violation(
    case: schemathesis.Case, live: LiveApp
) -> None:
    case.call_and_validate(
        base_url=live.base_url,
        headers={"Authorization": f"Bearer {live.token}"},
        allow_redirects=False,
        # Business rules the schema cannot express (sniffed content, opaque
        # cursors) rightly refuse some schema-valid input with a 4xx.
        excluded_checks=[positive_data_acceptance],
    )
