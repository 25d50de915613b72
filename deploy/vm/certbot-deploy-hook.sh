#!/bin/sh
# certbot runs this after every successful issuance or renewal (bootstrap.sh
# installs it into /etc/letsencrypt/renewal-hooks/deploy/). nginx reads the
# renewed certificate on reload: SIGHUP starts new workers with it while the
# old workers finish the requests they hold, so no connection is dropped.
#
# EDGE_NGINX_CONF and EDGE_NGINX_PREFIX point at another nginx (tests do).
set -eu

set -- -c "${EDGE_NGINX_CONF:-/etc/nginx/edge/nginx.conf}"
if [ -n "${EDGE_NGINX_PREFIX:-}" ]; then
	set -- -p "$EDGE_NGINX_PREFIX" "$@"
fi

# A configuration that does not load must not replace one that serves.
nginx "$@" -t -q
nginx "$@" -s reload
echo "certbot-deploy-hook: nginx reloaded for ${RENEWED_DOMAINS:-its current certificates}"
