"""File bytes in a Google Cloud Storage bucket; clients send and fetch them through signed URLs."""

from collections.abc import Generator, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime

from app.files.storage import Readable, StorageUnavailable, StoredObject, UploadTarget, attachment_header
from app.integrations import gcs


@contextmanager
def _answering() -> Generator[None]:
    """Storage that cannot be reached or does not answer in time becomes `StorageUnavailable`."""
    try:
        yield
    except StorageUnavailable:
        raise
    except Exception as error:
        if gcs.is_unavailable(error):
            raise StorageUnavailable from error
        raise


class GcsStorage:
    """`ObjectStorage` on a GCS bucket, each call bounded by STORAGE_TIMEOUT_SECONDS (see
    app/integrations/gcs.py); a storage that cannot answer raises `StorageUnavailable`."""

    def __init__(self, *, bucket_name: str) -> None:
        self.bucket_name = bucket_name

    def _blob(self, key: str) -> gcs.Blob:
        return gcs.bucket(self.bucket_name).blob(key)

    def write(self, key: str, stream: Readable, *, size: int, content_type: str, filename: str) -> None:
        with _answering():
            blob = self._blob(key)
            blob.content_disposition = attachment_header(filename)
            blob.upload_from_file(
                stream, size=size, content_type=content_type, retry=gcs.retry(), timeout=gcs.request_timeout()
            )

    def info(self, key: str) -> StoredObject | None:
        with _answering():
            blob = gcs.bucket(self.bucket_name).get_blob(key, retry=gcs.retry(), timeout=gcs.request_timeout())
            if blob is None:
                return None
            return StoredObject(size=int(blob.size or 0), md5_b64=blob.md5_hash)

    def read_head(self, key: str, length: int) -> bytes:
        with _answering():
            from google.api_core.exceptions import RequestRangeNotSatisfiable

            try:
                return self._blob(key).download_as_bytes(
                    start=0, end=length - 1, retry=gcs.retry(), timeout=gcs.request_timeout()
                )
            except RequestRangeNotSatisfiable:
                return b""  # an empty object has no byte 0

    def describe(self, key: str, *, content_type: str, filename: str) -> None:
        with _answering():
            blob = self._blob(key)
            blob.content_type = content_type
            blob.content_disposition = attachment_header(filename)
            blob.patch(retry=gcs.retry(), timeout=gcs.request_timeout())

    def delete(self, key: str) -> None:
        with _answering():
            from google.api_core.exceptions import NotFound

            with suppress(NotFound):
                self._blob(key).delete(retry=gcs.retry(), timeout=gcs.request_timeout())

    def listing(self, prefix: str) -> Iterator[tuple[str, datetime | None]]:
        with _answering():
            # Each object's last update comes from the listing itself: no request per object.
            blobs = gcs.typed_client().list_blobs(
                self.bucket_name, prefix=prefix, retry=gcs.retry(), timeout=gcs.request_timeout()
            )
            for blob in blobs:
                yield blob.name, blob.updated

    def ping(self) -> None:
        with _answering():
            blobs = gcs.typed_client().list_blobs(
                self.bucket_name, max_results=1, retry=None, timeout=gcs.PING_TIMEOUT_SECONDS
            )
            next(iter(blobs), None)

    def upload_target(
        self,
        *,
        key: str,
        size: int,
        content_type: str,
        md5_b64: str | None,
        expires_at: datetime,
        resumable: bool,
    ) -> UploadTarget:
        with _answering():
            blob = self._blob(key)
            if resumable:
                session = gcs.resumable_session(blob, content_type=content_type, size=size)
                return UploadTarget(url=session, method="PUT", headers={}, is_resumable=True)
            headers = {
                "Content-Type": content_type,
                # GCS rejects a body of any other length.
                "x-goog-content-length-range": f"{size},{size}",
            }
            if md5_b64:
                # GCS rejects bytes that do not hash to this.
                headers["Content-MD5"] = md5_b64
            url = gcs.signed_url(blob, method="PUT", expires_at=expires_at, headers=headers)
            return UploadTarget(url=url, method="PUT", headers=headers, is_resumable=False)

    def download_url(self, *, key: str, filename: str, content_type: str, expires_at: datetime) -> str:
        with _answering():
            return gcs.signed_url(
                self._blob(key),
                method="GET",
                expires_at=expires_at,
                response_type=content_type,
                response_disposition=attachment_header(filename),
            )
