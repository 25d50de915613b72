#!/bin/sh
# From a bare Debian 12/13 VM to the app serving HTTPS behind nginx, with
# certbot renewing the certificate. Run as root from a checkout at
# /opt/overengineered-backend after writing /etc/overengineered-backend/app.env
# (from app.env.example) and pointing the domain at this VM (deploy/vm/README.md).
# Rerun it to deploy a new checkout: every step is idempotent.
set -eu

APP_DIR=/opt/overengineered-backend
ENV_FILE=/etc/overengineered-backend/app.env
NGINX_DIR=/etc/nginx/edge
# The unit's StateDirectory=.
STATE_DIR=/var/lib/overengineered-backend
UV_VERSION=0.13.9
ORIGIN_PULL_CA_URL=https://developers.cloudflare.com/ssl/static/authenticated_origin_pull_ca.pem

fail() {
	echo "bootstrap.sh: $*" >&2
	exit 1
}

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
repo=$(CDPATH='' cd -- "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || fail "run as root"
[ "$repo" = "$APP_DIR" ] || fail "the checkout must be at $APP_DIR (it is at $repo)"
[ -f "$ENV_FILE" ] || fail "write $ENV_FILE first (from deploy/vm/app.env.example)"
set -a
# shellcheck source=/dev/null
. "$ENV_FILE"
set +a
: "${EDGE_DOMAIN:?set EDGE_DOMAIN in $ENV_FILE}"
: "${EDGE_EMAIL:?set EDGE_EMAIL in $ENV_FILE}"
: "${EDGE_ACME_WEBROOT:=/var/www/acme}"
: "${APP_VAR_DIR:=$STATE_DIR}"
export EDGE_ACME_WEBROOT APP_VAR_DIR
# ProtectSystem=strict leaves the app nothing else to write to.
[ "$APP_VAR_DIR" = "$STATE_DIR" ] || fail "APP_VAR_DIR must be the unit's state directory, $STATE_DIR"

echo "== packages"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	nginx certbot gettext-base ssl-cert python3-venv curl ca-certificates

echo "== the app"
id app >/dev/null 2>&1 ||
	useradd --system --user-group --home-dir /var/lib/overengineered-backend --shell /usr/sbin/nologin app
[ -x /opt/uv/bin/uv ] && [ "$(/opt/uv/bin/uv --version | cut -d' ' -f2)" = "$UV_VERSION" ] || {
	python3 -m venv /opt/uv
	/opt/uv/bin/pip install --quiet "uv==$UV_VERSION"
}
# A managed Python lands where the app user can read it, not in root's home.
# Bytecode is compiled now (the standard library's when uv installs it): the
# unit's ProtectSystem=strict lets nothing write a .pyc later, so whatever is left
# uncompiled is compiled again at every start. The app is installed rather than
# linked to the checkout (--no-editable), so it is compiled with the rest.
export UV_PYTHON_INSTALL_DIR=/opt/uv/python UV_CACHE_DIR=/var/cache/uv UV_COMPILE_BYTECODE=1
/opt/uv/bin/uv python install 3.12
/opt/uv/bin/uv sync --project "$APP_DIR" --frozen --no-dev --no-editable --python 3.12
if [ -n "${FILES_LOCAL_ACCEL_REDIRECT_PREFIX:-}" ]; then
	"$here/share-media.sh"
fi

echo "== systemd units and the renewal hook"
install -m 0644 "$here/systemd/overengineered-backend.service" /etc/systemd/system/
install -m 0644 "$here/systemd/certbot-renew.service" "$here/systemd/certbot-renew.timer" /etc/systemd/system/
install -d /etc/systemd/system/nginx.service.d
install -m 0644 "$here/systemd/nginx.service.d/edge.conf" /etc/systemd/system/nginx.service.d/
install -D -m 0755 "$here/certbot-deploy-hook.sh" /etc/letsencrypt/renewal-hooks/deploy/50-reload-nginx.sh
# Debian's certbot package brings its own timer; one renewer is enough.
systemctl disable --now certbot.timer 2>/dev/null || true
systemctl daemon-reload

echo "== nginx"
install -d -m 0755 "$EDGE_ACME_WEBROOT"
if [ "${EDGE_CLOUDFLARE:-0}" = 1 ] && [ -n "${EDGE_ORIGIN_PULL_CA:-}" ] && [ ! -f "$EDGE_ORIGIN_PULL_CA" ]; then
	curl --fail --silent --show-error --max-time 30 -o "$EDGE_ORIGIN_PULL_CA" "$ORIGIN_PULL_CA_URL"
fi
live=/etc/letsencrypt/live/$EDGE_DOMAIN
if [ -f "$live/fullchain.pem" ]; then
	"$repo/nginx/render.sh" vm "$NGINX_DIR"
else
	# Until the first certificate exists nginx serves ssl-cert's self-signed
	# one, so that it can start and answer the ACME challenge on port 80.
	EDGE_TLS_CERT=/etc/ssl/certs/ssl-cert-snakeoil.pem EDGE_TLS_KEY=/etc/ssl/private/ssl-cert-snakeoil.key \
		"$repo/nginx/render.sh" vm "$NGINX_DIR"
fi
systemctl enable nginx
systemctl restart nginx

echo "== certificate"
EDGE_NGINX_DIR=$NGINX_DIR "$here/issue-certificate.sh"

echo "== services"
systemctl enable --now certbot-renew.timer
systemctl enable overengineered-backend.service
systemctl restart overengineered-backend.service

echo "== smoke test"
if [ -n "${EDGE_ORIGIN_PULL_CA:-}" ]; then
	# Only Cloudflare's client certificate gets through 443 now; check the redirect.
	curl --fail --silent --show-error --output /dev/null --write-out '%{http_code} %{redirect_url}\n' \
		--resolve "$EDGE_DOMAIN:80:127.0.0.1" "http://$EDGE_DOMAIN/healthz"
else
	curl --fail --silent --show-error --retry 10 --retry-connrefused --retry-delay 1 \
		--resolve "$EDGE_DOMAIN:443:127.0.0.1" "https://$EDGE_DOMAIN/healthz"
	echo
fi
echo "== https://$EDGE_DOMAIN is served"
