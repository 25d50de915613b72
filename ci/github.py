"""What GitHub Actions tells a pipeline, and what a pipeline tells Actions back.

No Dagger import here, so every rule is unit-tested directly.
"""

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Final

ERROR_OUTPUT_VALUE: Final = "a step output must be one line: {name}={value!r}"


def run_id(env: Mapping[str, str], now: datetime) -> str:
    """What makes this run unique: the Actions run and attempt, else the current time.

    Steps whose answer changes with time (vulnerability databases) carry it, so Dagger
    never serves them from its cache.
    """
    if run := env.get("GITHUB_RUN_ID"):
        return f"{run}.{env.get('GITHUB_RUN_ATTEMPT', '1')}"
    return now.isoformat()


def set_output(env: Mapping[str, str], name: str, value: str) -> None:
    """Append `name=value` to the step's outputs in Actions (`$GITHUB_OUTPUT`); elsewhere nothing."""
    if "\n" in value or "\r" in value or "\n" in name:
        raise ValueError(ERROR_OUTPUT_VALUE.format(name=name, value=value))
    if path := env.get("GITHUB_OUTPUT"):
        with Path(path).open("a", encoding="utf-8") as outputs:
            outputs.write(f"{name}={value}\n")
