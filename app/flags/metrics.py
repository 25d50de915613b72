"""What the flags count: every evaluation, by flag, variant and reason.

A cheap no-op while telemetry is off (see app/core/telemetry.py).
"""

from opentelemetry import metrics

from app.core.telemetry import INSTRUMENTATION_NAME

_meter = metrics.get_meter(INSTRUMENTATION_NAME)

evaluations = _meter.create_counter(
    "app.feature_flag.evaluations",
    unit="{evaluation}",
    description="Feature flag evaluations, by flag, variant and reason (an in-code default has no variant).",
)


def evaluated(key: str, variant: str | None, reason: str) -> None:
    """Counts one evaluation; `reason` is OpenFeature's, lower-cased (`static`, `targeting_match`, `error`...)."""
    attributes = {"feature_flag.key": key, "feature_flag.result.reason": reason}
    if variant is not None:
        attributes["feature_flag.result.variant"] = variant
    evaluations.add(1, attributes)
