"""The files services called directly, without HTTP: what each writes, and what a refusal leaves."""

import base64
import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import cast

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from pytest_django import Settings

from app.accounts.models import User
from app.core.problems import Problem, ProblemCode
from app.files import services
from app.files.models import File
from app.files.quota import QuotaLimits
from app.files.storage import storage
from app.files.storage.local import LocalStorage

pytestmark = pytest.mark.django_db

CONTENT = b"hello, services\n"


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def start(owner: User, *, size: int = len(CONTENT), checksum: str | None = None) -> File:
    file, _target, _expires_at = async_to_sync(services.upload_start)(
        owner=owner, filename="notes.txt", size=size, content_type="text/plain", checksum=checksum, resumable=False
    )
    return file


async def _arriving(*parts: bytes, then: BaseException | None = None) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
    if then is not None:
        raise then


def receive(file: File, content: bytes = CONTENT) -> None:
    async_to_sync(services.upload_receive)(key=file.storage_key, chunks=_arriving(content))


def test_a_direct_upload_becomes_ready_with_the_checksum_of_what_arrived(alice: User) -> None:
    file = start(alice, checksum=md5_b64(CONTENT))
    assert File.objects.get(id=file.id).status == File.Status.PENDING
    receive(file)
    ready = async_to_sync(services.upload_complete)(owner=alice, file_id=file.id)
    assert ready.status == File.Status.READY
    assert ready.checksum_md5 == md5_b64(CONTENT)
    assert storage().read_head(file.storage_key, 100) == CONTENT


def test_upload_complete_rejects_a_size_mismatch_and_removes_row_and_object(alice: User) -> None:
    file = start(alice, size=len(CONTENT) + 1)
    # An object of another size, however it got there (the PUT itself stores exactly the declared size).
    storage().write(file.storage_key, io.BytesIO(CONTENT), size=len(CONTENT), content_type="text/plain", filename="a")
    with pytest.raises(Problem) as raised:
        async_to_sync(services.upload_complete)(owner=alice, file_id=file.id)
    assert raised.value.code == ProblemCode.SIZE_MISMATCH
    assert not File.objects.filter(id=file.id).exists()
    assert storage().info(file.storage_key) is None


def test_upload_receive_takes_the_bytes_once(alice: User) -> None:
    file = start(alice)
    receive(file)
    with pytest.raises(Problem) as raised:
        receive(file, b"x" * len(CONTENT))
    assert raised.value.code == ProblemCode.ALREADY_UPLOADED
    assert storage().read_head(file.storage_key, 100) == CONTENT


def test_upload_receive_for_an_unknown_upload_is_gone() -> None:
    with pytest.raises(Problem) as raised:
        async_to_sync(services.upload_receive)(key=f"uploads/{uuid.uuid4()}/x", chunks=_arriving(b"x"))
    assert raised.value.code == ProblemCode.UPLOAD_GONE


class ClientWentAway(Exception):
    pass


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param(lambda: _arriving(CONTENT[:5], then=ClientWentAway()), id="client-went-away"),
        pytest.param(lambda: _arriving(CONTENT[:5]), id="stream-ended-short"),
    ],
)
def test_upload_receive_that_fails_on_the_way_stores_nothing_and_may_be_sent_again(
    alice: User, chunks: Callable[[], AsyncIterator[bytes]]
) -> None:
    file = start(alice)
    with pytest.raises((ClientWentAway, ValueError)):
        async_to_sync(services.upload_receive)(key=file.storage_key, chunks=chunks())
    assert storage().info(file.storage_key) is None
    assert not list(cast(LocalStorage, storage()).path(file.storage_key).parent.glob("*.part"))
    assert File.objects.get(id=file.id).received_at is None
    receive(file)
    assert storage().read_head(file.storage_key, 100) == CONTENT


def test_upload_start_over_quota_reserves_nothing(alice: User, settings: Settings) -> None:
    settings.FILES_QUOTA_BYTES = len(CONTENT) - 1
    with pytest.raises(Problem) as raised:
        start(alice)
    assert raised.value.code == ProblemCode.QUOTA_EXCEEDED
    assert not File.objects.filter(owner=alice).exists()


def test_file_delete_removes_row_and_object(alice: User) -> None:
    file = start(alice)
    receive(file)
    async_to_sync(services.upload_complete)(owner=alice, file_id=file.id)
    async_to_sync(services.file_delete)(owner=alice, file_id=file.id)
    assert not File.objects.filter(id=file.id).exists()
    assert storage().info(file.storage_key) is None


def test_another_users_file_is_not_found_for_every_service(alice: User, bob: User) -> None:
    file = start(alice)
    receive(file)
    for service in (services.upload_complete, services.file_delete, services.file_download_url):
        with pytest.raises(Problem) as raised:
            async_to_sync(service)(owner=bob, file_id=file.id)
        assert raised.value.code == ProblemCode.NOT_FOUND
    assert File.objects.get(id=file.id).status == File.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_a_file_deleted_while_its_upload_completes_is_gone_not_an_error(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = start(alice)
    receive(file)
    objects = storage()
    real_info = objects.info

    def info_after_the_owner_deleted_it(key: str) -> object:
        File.objects.filter(id=file.id).delete()  # the owner's DELETE, while completion asks storage
        connection.close()  # this storage thread's own, which would outlive the test
        return real_info(key)

    monkeypatch.setattr(objects, "info", info_after_the_owner_deleted_it)
    with pytest.raises(Problem) as raised:
        async_to_sync(services.upload_complete)(owner=alice, file_id=file.id)
    assert raised.value.code == ProblemCode.UPLOAD_GONE
    assert real_info(file.storage_key) is None


def _small_upload(owner: User) -> File:
    return async_to_sync(services.file_upload)(
        owner=owner, upload=SimpleUploadedFile("notes.txt", CONTENT, content_type="text/plain")
    )


def test_a_small_upload_within_its_reservation_completes_in_one_statement(alice: User) -> None:
    file = _small_upload(alice)
    stored = File.objects.get(id=file.id)
    assert (stored.status, stored.expires_at, stored.checksum_md5) == (File.Status.READY, None, md5_b64(CONTENT))
    assert (file.status, file.completed_at) == (stored.status, stored.completed_at)


def test_a_completion_past_its_reservation_is_decided_again_under_the_quota(alice: User) -> None:
    file = start(alice)
    File.objects.filter(id=file.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    # Its expired reservation no longer counts: another file took the last place meanwhile.
    _small_upload(alice)
    with pytest.raises(Problem) as raised:
        services._mark_reserved_ready(file, md5_b64(CONTENT), QuotaLimits(bytes=1 << 20, files=1))  # pyright: ignore[reportPrivateUsage]
    assert raised.value.code == ProblemCode.QUOTA_EXCEEDED
    assert File.objects.get(id=file.id).status == File.Status.PENDING
