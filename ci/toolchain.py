"""Does this shell give every tool CI and the pipelines use, and the Dagger CLI the SDK expects?

Run inside `nix develop` by the toolchain and flake-update workflows:
`nix develop --command python -m ci.toolchain`. No Dagger import.
"""

import importlib.metadata
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Final

from ci import checks

# Beyond REQUIRE_TOOLS: what the pipelines and the suite's Postgres cluster call.
PIPELINE_TOOLS: Final = ("dagger", "uv", "terraform", "k6", "docker", "gcloud", "initdb", "pg_ctl")
# nixpkgs builds these for Linux only.
LINUX_TOOLS: Final = ("chromium", "cloud-init")

ERROR_MISSING: Final = "not in this shell: {names} (add them to `tools` in flake.nix)"
ERROR_DAGGER: Final = "the Dagger CLI is {cli}, the dagger-io SDK {sdk}: run `uv run python -m ci.bump_dagger {sdk}`"
_DAGGER_VERSION = re.compile(r"\bv(\d+\.\d+\.\d+\S*)")


def expected_tools(platform: str) -> tuple[str, ...]:
    """Every executable the shell must put on PATH, for a `sys.platform` value, once each."""
    on_linux = platform.startswith("linux")
    names = dict.fromkeys((*checks.required_tools(), *PIPELINE_TOOLS, *LINUX_TOOLS))
    return tuple(name for name in names if on_linux or name not in LINUX_TOOLS)


def missing_tools(names: Sequence[str], which: Callable[[str], str | None] = shutil.which) -> list[str]:
    return [name for name in names if which(name) is None]


def dagger_cli_version(output: str) -> str | None:
    """`0.21.7` from `dagger version` output (`dagger v0.21.7 (...) linux/amd64`)."""
    match = _DAGGER_VERSION.search(output)
    return match[1] if match else None


def problems(platform: str) -> list[str]:
    missing = missing_tools(expected_tools(platform))
    if missing:
        return [ERROR_MISSING.format(names=", ".join(missing))]
    output = subprocess.run(["dagger", "version"], capture_output=True, text=True, check=True).stdout  # noqa: S607
    cli, sdk = dagger_cli_version(output), importlib.metadata.version("dagger-io")
    return [] if cli == sdk else [ERROR_DAGGER.format(cli=cli, sdk=sdk)]


def main() -> int:
    found = problems(sys.platform)
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        print(f"toolchain ok: {', '.join(expected_tools(sys.platform))}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
