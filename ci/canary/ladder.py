"""The traffic ladder: which percent the canary gets at each step, and the splits that put it there."""

import itertools
import re
from dataclasses import dataclass
from typing import Final

DEFAULT_LADDER: Final = (5, 25, 50, 100)
CANARY_TAG: Final = "canary"
# A revision name is a DNS-1035 label: Cloud Run refuses anything else.
MAX_REVISION_NAME: Final = 63
_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DIGEST = re.compile(r"sha256:(?P<hex>[0-9a-f]{64})")

ERROR_LADDER: Final = (
    "the ladder must be percents, strictly increasing from at least 1 to 100, with a step below 100: {text!r}"
)
ERROR_DIGEST: Final = "not an image digest reference (host/repository@sha256:<64 hex>): {image!r}"
ERROR_SERVICE_NAME: Final = "service name {service!r} leaves no room for a revision suffix (at most {limit} characters)"


@dataclass(frozen=True)
class Target:
    """One pinned traffic target: `percent` of requests to `revision`, reachable on its own URL by `tag`."""

    revision: str
    percent: int
    tag: str = ""


def parse_ladder(text: str) -> tuple[int, ...]:
    """`"5,25,50,100"` as percents; raises ValueError unless strictly increasing in 1..100, ending at 100.

    A step below 100 is required: it is where stable's latency is measured for the canary to be compared.
    """
    try:
        steps = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(ERROR_LADDER.format(text=text)) from None
    increasing = all(a < b for a, b in itertools.pairwise(steps))
    if len(steps) < 2 or steps[-1] != 100 or steps[0] < 1 or not increasing:
        raise ValueError(ERROR_LADDER.format(text=text))
    return steps


def remaining_steps(ladder: tuple[int, ...], current_percent: int) -> tuple[int, ...]:
    """The steps still to walk when the canary already has `current_percent` (a resumed rollout)."""
    return tuple(step for step in ladder if step > current_percent)


def image_digest(image: str) -> str:
    """The hex digest of `host/repository@sha256:<hex>`; raises ValueError for a tag or a bare name."""
    _, separator, digest = image.partition("@")
    match = _DIGEST.fullmatch(digest)
    if not separator or match is None:
        raise ValueError(ERROR_DIGEST.format(image=image))
    return match["hex"]


def revision_name(*, service: str, image: str, stamp: int) -> str:
    """`<service>-<digest prefix>-<stamp in base 36>`: Cloud Run requires the service name as prefix.

    The stamp (seconds) makes a second rollout of the same digest a new revision name, since a name
    already used for another configuration is refused with 409.
    """
    suffix = f"{image_digest(image)[:8]}-{_base36(stamp)}"
    limit = MAX_REVISION_NAME - len(suffix) - 1
    if len(service) > limit or not _LABEL.fullmatch(service):
        raise ValueError(ERROR_SERVICE_NAME.format(service=service, limit=limit))
    return f"{service}-{suffix}"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
        if number == 0:
            return text


def canary_split(*, stable: str, canary: str, percent: int, tag: str = CANARY_TAG) -> tuple[Target, ...]:
    """`percent` to the tagged canary, the rest to stable; at 100 the stable target is dropped."""
    canary_target = Target(canary, percent, tag)
    if percent >= 100:
        return (canary_target,)
    return (Target(stable, 100 - percent), canary_target)


def stable_only(stable: str) -> tuple[Target, ...]:
    """All traffic pinned to one revision and no tag: the state every run ends in."""
    return (Target(stable, 100),)


def canary_percent(traffic: tuple[Target, ...], canary: str) -> int:
    return sum(target.percent for target in traffic if target.revision == canary)


def is_split(traffic: tuple[Target, ...]) -> bool:
    """More than one revision serves requests."""
    return len({target.revision for target in traffic if target.percent > 0}) > 1
