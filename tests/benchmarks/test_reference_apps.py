"""The benchmark's reference apps answer, so a benchmark run never compares against an error page."""

import httpx
import pytest

from tests.benchmarks.load import reference_app


@pytest.mark.parametrize("module", ["tests.benchmarks.hello", "tests.benchmarks.django_hello"])
def test_reference_app_answers_ok_under_uvicorn(module: str) -> None:
    with reference_app(f"{module}:app") as url:
        response = httpx.get(url)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
