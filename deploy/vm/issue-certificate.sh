#!/bin/sh
# Issues the certificate for EDGE_DOMAIN through nginx's ACME webroot, then
# renders the VM site to use it and reloads nginx. Safe to rerun: certbot keeps
# a certificate that is not due.
#
# Needs nginx already serving the VM site (with any certificate, e.g. the
# snakeoil one bootstrap.sh starts with) so the challenge can be answered.
# certbot reads its server and directories from cli.ini as usual.
set -eu

: "${EDGE_DOMAIN:?EDGE_DOMAIN is required}"
: "${EDGE_EMAIL:?EDGE_EMAIL is required: Let us Encrypt writes there before a certificate expires}"
: "${EDGE_ACME_WEBROOT:=/var/www/acme}"
: "${EDGE_NGINX_DIR:=/etc/nginx/edge}"
: "${EDGE_CERTBOT_CONFIG_DIR:=/etc/letsencrypt}"
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
repo=$(CDPATH='' cd -- "$here/../.." && pwd)

mkdir -p "$EDGE_ACME_WEBROOT"
certbot certonly --non-interactive --agree-tos --email "$EDGE_EMAIL" --no-eff-email \
	--webroot --webroot-path "$EDGE_ACME_WEBROOT" \
	--cert-name "$EDGE_DOMAIN" --domains "$EDGE_DOMAIN" \
	--keep-until-expiring

live=$EDGE_CERTBOT_CONFIG_DIR/live/$EDGE_DOMAIN
EDGE_TLS_CERT=$live/fullchain.pem EDGE_TLS_KEY=$live/privkey.pem \
	"$repo/nginx/render.sh" vm "$EDGE_NGINX_DIR"
EDGE_NGINX_CONF=$EDGE_NGINX_DIR/nginx.conf "$here/certbot-deploy-hook.sh"
