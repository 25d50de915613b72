"""The edge tests need root-installed binaries; say which are missing."""

from tests.support.tools import find_tool

# Debian packages: nginx, certbot, pebble (with pebble-challtestsrv), wrk, gettext-base, curl.
EDGE_TOOLS = ("nginx", "certbot", "pebble", "pebble-challtestsrv", "wrk", "envsubst", "curl")
INSTALL_HINT = "apt-get install nginx certbot pebble wrk gettext-base curl"


def edge_tools_missing() -> list[str]:
    return [tool for tool in EDGE_TOOLS if find_tool(tool) is None]
