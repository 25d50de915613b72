"""The fake behaves as Cloud Run does where the controller relies on it, seen through the real
client library (REST transport, the fake's endpoint, an access token the fake checks)."""

from typing import cast

import httpx
import pytest
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.exceptions import RefreshError
from google.cloud import run_v2
from google.oauth2.credentials import Credentials

from tests.infra.canary.conftest import ACCESS_TOKEN, PROJECT, REGION, SERVICE, pushed
from tests.infra.canary.fake_cloud import FakeCloud

LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
PINNED = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
PARENT = f"projects/{PROJECT}/locations/{REGION}"


@pytest.fixture(scope="module")
def client(fake: FakeCloud, service: str) -> run_v2.ServicesClient:
    """A client of the shared service; each test leaves it on one revision, as a rollout needs."""
    assert service == SERVICE
    return run_v2.ServicesClient(
        credentials=Credentials(token=ACCESS_TOKEN),
        transport="rest",
        client_options=ClientOptions(api_endpoint=fake.endpoint),
    )


def _update(
    client: run_v2.ServicesClient,
    *,
    image: str | None = None,
    revision: str = "",
    traffic: list[run_v2.TrafficTarget] | None = None,
    etag: str | None = None,
) -> run_v2.Service:
    service = client.get_service(name=f"{PARENT}/services/{SERVICE}")
    if image is not None:
        service.template.containers[0].image = image
        service.template.revision = revision
    if traffic is not None:
        service.traffic = traffic
    if etag is not None:
        service.etag = etag
    return cast(run_v2.Service, client.update_service(service=service).result(timeout=60))


def _version(url: str) -> str:
    return httpx.get(f"{url}/healthz", timeout=5).json()["version"]


def _status(error: exceptions.GoogleAPICallError) -> str:
    return error.response.json()["error"]["status"]  # type: ignore[union-attr]


def test_a_pinned_revision_keeps_traffic_while_latest_follows_each_new_revision(
    fake: FakeCloud, client: run_v2.ServicesClient
) -> None:
    current = _update(client)
    first, serving_version = current.latest_ready_revision.rsplit("/")[-1], _version(current.uri)
    pinned = [
        run_v2.TrafficTarget(type_=PINNED, revision=first, percent=100),
        run_v2.TrafficTarget(type_=PINNED, revision=f"{SERVICE}-pinned", percent=0, tag="canary"),
    ]
    service = _update(client, image=pushed(fake, version="9.9.9"), revision=f"{SERVICE}-pinned", traffic=pinned)

    assert fake.routing(SERVICE) == {first: 100}
    [tagged] = [status for status in service.traffic_statuses if status.tag == "canary"]
    assert _version(tagged.uri) == "9.9.9", "the tag URL does not reach the new revision"
    assert _version(service.uri) == serving_version, "the pinned revision lost traffic"

    _update(client, traffic=[run_v2.TrafficTarget(type_=LATEST, percent=100)])
    assert fake.routing(SERVICE) == {f"{SERVICE}-pinned": 100}
    service = _update(client, image=pushed(fake))  # no name: Cloud Run makes one up
    generated = service.latest_ready_revision.rsplit("/")[-1]
    assert generated.startswith(f"{SERVICE}-000")
    assert fake.routing(SERVICE) == {generated: 100}, "LATEST did not follow the new revision"


def test_revision_names_take_the_service_prefix_and_are_never_reused(
    fake: FakeCloud, client: run_v2.ServicesClient
) -> None:
    before = fake.routing(SERVICE)
    with pytest.raises(exceptions.BadRequest, match="must start with 'file-drop-'"):
        _update(client, image=pushed(fake), revision="elsewhere-v1")
    taken = _update(client).latest_created_revision.rsplit("/")[-1]
    with pytest.raises(exceptions.Conflict, match="different configuration already exists") as reused:
        _update(client, image=pushed(fake), revision=taken)
    assert _status(reused.value) == "ALREADY_EXISTS"
    assert fake.routing(SERVICE) == before


def test_updates_are_checked_before_anything_moves(fake: FakeCloud, client: run_v2.ServicesClient) -> None:
    before = fake.routing(SERVICE)
    with pytest.raises(exceptions.Conflict) as stale:
        _update(client, traffic=[run_v2.TrafficTarget(type_=LATEST, percent=100)], etag="stale")
    assert _status(stale.value) == "ABORTED"
    with pytest.raises(exceptions.BadRequest, match="sum to 100"):
        _update(client, traffic=[run_v2.TrafficTarget(type_=LATEST, percent=90)])
    with pytest.raises(exceptions.BadRequest, match="does not exist"):
        _update(client, traffic=[run_v2.TrafficTarget(type_=PINNED, revision=f"{SERVICE}-nowhere", percent=100)])
    unauthenticated = run_v2.ServicesClient(
        credentials=Credentials(token="someone else's"),
        transport="rest",
        client_options=ClientOptions(api_endpoint=fake.endpoint),
    )
    # A 401 sends the library to refresh the token, which a bare access token cannot.
    with pytest.raises(RefreshError):
        unauthenticated.get_service(name=f"{PARENT}/services/{SERVICE}")
    assert fake.routing(SERVICE) == before
