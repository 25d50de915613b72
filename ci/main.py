"""Entry point of the pipelines, in either form (ci/README.md says which to use when):

python ci/main.py <pipeline> [options]             the SDK starts the pinned engine itself
dagger run python ci/main.py <pipeline> [options]  inside the Dagger CLI's session and view

Each pipeline's arguments and what is checked before an engine starts: ci/commands.py.
"""

import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import the package from the repository root, and let no module in
    # ci/ shadow one of the same name elsewhere.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import anyio
import dagger

from ci import commands, pipelines


async def _connected(run: commands.Run) -> None:
    async with dagger.connection(dagger.Config(log_output=sys.stderr)):
        await run()


def main(argv: Sequence[str] | None = None) -> int:
    cli = commands.parser()
    arguments = cli.parse_args(argv)
    try:
        run = commands.pipeline(cli, arguments, pipelines.Build.from_environment(commands.ROOT))
        anyio.run(_connected, run)
    except pipelines.PipelineError as error:
        print(f"pipeline {arguments.pipeline} {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
