"""A service's scaling policy, read from its labels (`autoscale.*`)."""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

ENABLE_LABEL: Final = "autoscale.enable"
MIN_LABEL: Final = "autoscale.min"
MAX_LABEL: Final = "autoscale.max"
TARGET_LABEL: Final = "autoscale.target_cpu_percent"
TOLERANCE_LABEL: Final = "autoscale.tolerance"
MAX_STEP_LABEL: Final = "autoscale.max_step"
UP_COOLDOWN_LABEL: Final = "autoscale.up_cooldown_seconds"
DOWN_COOLDOWN_LABEL: Final = "autoscale.down_cooldown_seconds"

DEFAULT_TOLERANCE: Final = 0.1
DEFAULT_MAX_STEP: Final = 1
DEFAULT_UP_COOLDOWN_SECONDS: Final = 60.0
DEFAULT_DOWN_COOLDOWN_SECONDS: Final = 300.0
# A replica count no single VM (or small cluster) should ever be asked for by a label typo.
MAX_REPLICAS: Final = 100

ERROR_MISSING: Final = "label {label} is required"
ERROR_NOT_INTEGER: Final = "label {label} must be a whole number, got {value!r}"
ERROR_NOT_NUMBER: Final = "label {label} must be a number, got {value!r}"
ERROR_OUT_OF_RANGE: Final = "label {label} must be between {low} and {high}, got {value}"
ERROR_BOUNDS: Final = f"label {MIN_LABEL} ({{minimum}}) must not exceed {MAX_LABEL} ({{maximum}})"


class PolicyError(ValueError):
    """A label is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Policy:
    """How one service scales: bounds, the CPU it aims for, and how fast it may move.

    The target band is `target_percent * (1 ± tolerance)`: inside it nothing changes.
    """

    minimum: int
    maximum: int
    target_percent: float
    tolerance: float = DEFAULT_TOLERANCE
    max_step: int = DEFAULT_MAX_STEP
    up_cooldown_seconds: float = DEFAULT_UP_COOLDOWN_SECONDS
    down_cooldown_seconds: float = DEFAULT_DOWN_COOLDOWN_SECONDS

    @property
    def band(self) -> tuple[float, float]:
        return self.target_percent * (1 - self.tolerance), self.target_percent * (1 + self.tolerance)


def is_enabled(labels: Mapping[str, str]) -> bool:
    return labels.get(ENABLE_LABEL, "").strip().lower() == "true"


def policy_from_labels(labels: Mapping[str, str]) -> Policy:
    """The policy a service's labels describe; raises PolicyError naming the bad label."""
    minimum = _integer(labels, MIN_LABEL, low=1, high=MAX_REPLICAS)
    maximum = _integer(labels, MAX_LABEL, low=1, high=MAX_REPLICAS)
    if minimum > maximum:
        raise PolicyError(ERROR_BOUNDS.format(minimum=minimum, maximum=maximum))
    return Policy(
        minimum=minimum,
        maximum=maximum,
        target_percent=_number(labels, TARGET_LABEL, low=1, high=1000),
        tolerance=_number(labels, TOLERANCE_LABEL, low=0, high=0.9, default=DEFAULT_TOLERANCE),
        max_step=_integer(labels, MAX_STEP_LABEL, low=1, high=MAX_REPLICAS, default=DEFAULT_MAX_STEP),
        up_cooldown_seconds=_number(labels, UP_COOLDOWN_LABEL, low=0, high=86_400, default=DEFAULT_UP_COOLDOWN_SECONDS),
        down_cooldown_seconds=_number(
            labels, DOWN_COOLDOWN_LABEL, low=0, high=86_400, default=DEFAULT_DOWN_COOLDOWN_SECONDS
        ),
    )


def _integer(labels: Mapping[str, str], label: str, *, low: int, high: int, default: int | None = None) -> int:
    return int(_parsed(labels, label, int, ERROR_NOT_INTEGER, low=low, high=high, default=default))


def _number(labels: Mapping[str, str], label: str, *, low: float, high: float, default: float | None = None) -> float:
    return _parsed(labels, label, float, ERROR_NOT_NUMBER, low=low, high=high, default=default)


def _parsed(
    labels: Mapping[str, str],
    label: str,
    parse: Callable[[str], float],
    malformed: str,
    *,
    low: float,
    high: float,
    default: float | None,
) -> float:
    raw = labels.get(label, "").strip()
    if not raw:
        if default is None:
            raise PolicyError(ERROR_MISSING.format(label=label))
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise PolicyError(malformed.format(label=label, value=raw)) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise PolicyError(ERROR_OUT_OF_RANGE.format(label=label, low=low, high=high, value=value))
    return value
