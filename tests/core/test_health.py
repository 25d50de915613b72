import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_answers_ok_with_version(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["version"]


@pytest.mark.django_db
def test_readyz_answers_ok_when_database_and_storage_answer(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
