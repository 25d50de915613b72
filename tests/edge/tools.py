"""The edge tests need root-installed binaries; say which are missing."""

import os
import shutil

# Debian packages: nginx, certbot, pebble (with pebble-challtestsrv), wrk, gettext-base, curl.
EDGE_TOOLS = ("nginx", "certbot", "pebble", "pebble-challtestsrv", "wrk", "envsubst", "curl")
INSTALL_HINT = "apt-get install nginx certbot pebble wrk gettext-base curl"

# Set by CI (.ci/run): a missing binary there is a failure, not a skip.
REQUIRE_EDGE_TOOLS = os.environ.get("REQUIRE_EDGE_TOOLS") == "1"


def edge_tools_missing() -> list[str]:
    return [tool for tool in EDGE_TOOLS if shutil.which(tool) is None]
