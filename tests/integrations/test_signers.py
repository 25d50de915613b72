"""URL signers: Cloud CDN against Google's published vectors, and properties of all three."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pytest_django import Settings

from app.core.problems import Problem, ProblemCode
from app.files.storage.local import LocalStorage, UploadGrant, download_grant_load, upload_grant_load
from app.integrations import gcs
from app.integrations.cloud_cdn import cdn_url_sign

GOOGLE_KEY = "nZtRohdNF9m3cKM24IcK4w=="
GOOGLE_EXPIRES = datetime.fromtimestamp(1549751401, UTC)


@pytest.mark.parametrize(
    ("url", "signed"),
    [
        (
            "http://35.186.234.33/index.html",
            "http://35.186.234.33/index.html?Expires=1549751401&KeyName=my-key&Signature=CRFqQnVfFyiUyR63OQf-HRUpIwc=",
        ),
        (
            "http://www.example.com/",
            "http://www.example.com/?Expires=1549751401&KeyName=my-key&Signature=OqDUFfHpN5Vxga6r80bhsgxKves=",
        ),
        (
            "http://www.example.com/some/path?some=query&another=param",
            "http://www.example.com/some/path?some=query&another=param&Expires=1549751401"
            "&KeyName=my-key&Signature=9Q9TCxSju8-W5nUkk5CuTrun2_o=",
        ),
    ],
)
def test_cdn_signer_matches_googles_published_vectors(url: str, signed: str) -> None:
    assert cdn_url_sign(url, key_name="my-key", key_b64=GOOGLE_KEY, expires_at=GOOGLE_EXPIRES) == signed


def _cdn_signature_valid(signed: str, key_b64: str) -> bool:
    """The check Cloud CDN does: HMAC-SHA1 over everything before `&Signature=`."""
    to_sign, _, signature = signed.rpartition("&Signature=")
    expected = hmac.new(base64.urlsafe_b64decode(key_b64), to_sign.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.urlsafe_b64decode(signature), expected)


paths = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_./", min_size=1, max_size=80)
keys = st.binary(min_size=16, max_size=16).map(lambda raw: base64.urlsafe_b64encode(raw).decode())
instants = st.integers(min_value=1_600_000_000, max_value=4_000_000_000).map(lambda s: datetime.fromtimestamp(s, UTC))


@given(path=paths, key=keys, expires_at=instants, position=st.integers(min_value=0))
def test_cdn_signature_verifies_and_breaks_when_any_character_changes(
    path: str, key: str, expires_at: datetime, position: int
) -> None:
    signed = cdn_url_sign(f"https://cdn.example.com/{path}", key_name="k1", key_b64=key, expires_at=expires_at)
    assert _cdn_signature_valid(signed, key)
    assert parse_qs(urlsplit(signed).query)["Expires"] == [str(int(expires_at.timestamp()))]
    to_sign, marker, signature = signed.rpartition("&Signature=")
    index = position % len(to_sign)
    changed = to_sign[:index] + ("x" if to_sign[index] != "x" else "y") + to_sign[index + 1 :]
    assert not _cdn_signature_valid(changed + marker + signature, key)


grants = st.builds(
    UploadGrant,
    key=st.uuids().map(lambda u: f"uploads/{u}/{u}"),
    size=st.integers(min_value=1, max_value=2**40),
    content_type=st.sampled_from(["text/plain", "image/png", "application/pdf"]),
    md5_b64=st.none() | st.binary(min_size=16, max_size=16).map(lambda b: base64.b64encode(b).decode()),
)
LOCAL = LocalStorage(root=Path("/nonexistent"))  # signing touches no file


def _in(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def _upload_token(grant: UploadGrant, expires_at: datetime) -> str:
    target = LOCAL.upload_target(
        key=grant.key,
        size=grant.size,
        content_type=grant.content_type,
        md5_b64=grant.md5_b64,
        expires_at=expires_at,
        resumable=False,
    )
    return target.url.rsplit("/", 1)[1]


@pytest.mark.django_db
@hypothesis_settings(max_examples=50)
@given(grant=grants, position=st.integers(min_value=0))
def test_local_upload_url_round_trips_and_rejects_any_tampering(grant: UploadGrant, position: int) -> None:
    token = _upload_token(grant, _in(5))
    assert upload_grant_load(token) == grant
    index = position % len(token)
    replacement = "A" if token[index] != "A" else "B"
    tampered = token[:index] + replacement + token[index + 1 :]
    with pytest.raises(Problem) as raised:
        upload_grant_load(tampered)
    assert raised.value.status == 403


@pytest.mark.django_db
@given(grant=grants)
def test_local_upload_url_expires_when_it_says(grant: UploadGrant) -> None:
    with pytest.raises(Problem) as raised:
        upload_grant_load(_upload_token(grant, _in(-0.1)))
    assert raised.value.code == ProblemCode.SIGNED_URL_EXPIRED


@pytest.mark.django_db
def test_local_download_token_is_not_an_upload_token() -> None:
    url = LOCAL.download_url(key="uploads/a/b", filename="a.txt", content_type="text/plain", expires_at=_in(5))
    token = url.rsplit("/", 1)[1]
    assert download_grant_load(token).filename == "a.txt"
    with pytest.raises(Problem):
        upload_grant_load(token)


def test_gcs_v4_signed_put_binds_headers_and_expiry(gcs_storage: str) -> None:
    expires_at = datetime.now(UTC) + timedelta(minutes=15)
    signed = gcs.signed_url(
        gcs.bucket(gcs_storage).blob("uploads/a/b"),
        method="PUT",
        expires_at=expires_at,
        headers={"Content-Type": "text/plain", "Content-MD5": "x"},
    )
    query = parse_qs(urlsplit(signed).query)
    assert query["X-Goog-SignedHeaders"] == ["content-md5;content-type;host"]
    assert 890 <= int(query["X-Goog-Expires"][0]) <= 900
    assert query["X-Goog-Credential"][0].startswith("signer@local.iam.gserviceaccount.com/")


def test_gcs_signed_urls_use_the_public_endpoint_when_one_is_set(gcs_storage: str, settings: Settings) -> None:
    settings.GCS_PUBLIC_ENDPOINT = "http://localhost:8080/storage"
    blob = gcs.bucket(gcs_storage).blob("uploads/a/b")
    signed = gcs.signed_url(blob, method="GET", expires_at=datetime.now(UTC) + timedelta(minutes=5))
    assert signed.startswith(f"http://localhost:8080/storage/{gcs_storage}/uploads/a/b?")
