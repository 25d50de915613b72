"""What the files app counts: uploads begun, completed and refused, bytes stored, quota refusals.

Cheap no-ops while telemetry is off (see app/core/telemetry.py).
"""

from opentelemetry import metrics, trace

from app.core.problems import Problem, ProblemCode
from app.core.telemetry import INSTRUMENTATION_NAME

_meter = metrics.get_meter(INSTRUMENTATION_NAME)

uploads_started = _meter.create_counter(
    "app.uploads.started", unit="{upload}", description="Uploads begun (small or direct)."
)
uploads_completed = _meter.create_counter(
    "app.uploads.completed", unit="{upload}", description="Uploads that became ready files."
)
uploads_rejected = _meter.create_counter(
    "app.uploads.rejected", unit="{upload}", description="Upload requests refused, by problem code."
)
bytes_stored = _meter.create_counter(
    "app.uploads.stored", unit="By", description="Bytes of uploads that became ready files."
)
quota_refusals = _meter.create_counter(
    "app.quota.refusals", unit="{refusal}", description="Uploads refused for exceeding a quota."
)


def upload_started(*, kind: str, size: int) -> None:
    """Counts an upload attempt; `kind` is `small` (through the API) or `direct`."""
    uploads_started.add(1, {"kind": kind})
    trace.get_current_span().set_attribute("app.upload.size", size)


def upload_completed(*, kind: str, size: int) -> None:
    """Counts an upload that became a ready file, and its bytes."""
    uploads_completed.add(1, {"kind": kind})
    bytes_stored.add(size, {"kind": kind})
    trace.get_current_span().set_attribute("app.upload.size", size)


def upload_rejected(problem: Problem) -> None:
    """Counts a refused upload request by its problem code (quota refusals also on their own)."""
    uploads_rejected.add(1, {"reason": problem.code})
    if problem.code == ProblemCode.QUOTA_EXCEEDED:
        quota_refusals.add(1)
