#!/bin/sh
# Renders the edge configuration for one target into a directory nginx loads:
#
#   nginx/render.sh compose|vm OUTPUT_DIR      then: nginx -c OUTPUT_DIR/nginx.conf
#
# Settings come from the environment: the app's own variables, so the body
# limits cannot drift from the app's, and EDGE_* for the edge itself (defaults
# per target below; nginx/README.md lists them). Templates go through envsubst
# restricted to the names in SUBSTITUTED, so nginx's own $variables pass through.
set -eu

fail() {
	echo "render.sh: $*" >&2
	exit 1
}

[ $# -eq 2 ] || fail "usage: render.sh compose|vm OUTPUT_DIR"
target=$1
out=$2
source_dir=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

require_bytes() {
	case $2 in
	'' | *[!0-9]*) fail "$1 must be a whole number of bytes, got '$2'" ;;
	esac
}

# nginx's version as MAJOR.MINOR.PATCH: EDGE_NGINX_VERSION when rendering for
# another machine, else what the nginx installed here reports.
nginx_version() {
	if [ -n "${EDGE_NGINX_VERSION:-}" ]; then
		version=$EDGE_NGINX_VERSION
	else
		command -v nginx >/dev/null 2>&1 ||
			fail "nginx is not installed here: install it, or set EDGE_NGINX_VERSION to the version to render for"
		version=$(nginx -v 2>&1 | sed -n 's|^nginx version: [^/]*/\([0-9][0-9.]*\).*|\1|p')
	fi
	case $version in
	*[!0-9.]* | '' | *..* | .* | *.) fail "nginx's version must look like 1.22.1 (EDGE_NGINX_VERSION), got '$version'" ;;
	esac
	echo "$version"
}

version_at_least() { # VERSION MINIMUM
	awk -v have="$1" -v want="$2" 'BEGIN {
		split(have, h, "."); split(want, w, ".")
		for (i = 1; i <= 3; i++) if (h[i] + 0 != w[i] + 0) exit !(h[i] + 0 > w[i] + 0)
		exit 0
	}'
}

# max_headers came with nginx 1.29.8 and distributions backport it (Debian's
# 1.22.1-9+deb12u8 has it), so the binary itself is asked, not its version.
nginx_has_max_headers() {
	command -v nginx >/dev/null 2>&1 || return 1
	probe=$(mktemp -d)
	# Every path nginx -t touches is in the probe's directory, so any user can ask.
	cat >"$probe/nginx.conf" <<-PROBE
		pid $probe/nginx.pid;
		error_log stderr;
		events {}
		http {
		    access_log off;
		    client_body_temp_path $probe; proxy_temp_path $probe; fastcgi_temp_path $probe;
		    uwsgi_temp_path $probe; scgi_temp_path $probe;
		    max_headers 1;
		}
	PROBE
	if nginx -t -q -p "$probe" -c "$probe/nginx.conf" >/dev/null 2>&1; then found=0; else found=1; fi
	rm -rf "$probe"
	return $found
}

# Values end up inside nginx directives: refuse anything that could end one.
require_plain() {
	case $2 in
	'' | *[\;\{\}\"\'\ \	\\]* | *'
'*) fail "$1 must be a single word without ; { } quotes or spaces, got '$2'" ;;
	esac
}

: "${FILES_SMALL_UPLOAD_MAX_BYTES:=10485760}"
: "${FILES_MAX_BYTES:=536870912}"
require_bytes FILES_SMALL_UPLOAD_MAX_BYTES "$FILES_SMALL_UPLOAD_MAX_BYTES"
require_bytes FILES_MAX_BYTES "$FILES_MAX_BYTES"
# A multipart upload is the file plus its framing (boundary lines, part
# headers, a few hundred bytes), so the edge allows 64 KiB over the app's
# file limit; the app itself makes the exact check on the file.
EDGE_SMALL_BODY_MAX_BYTES=$((FILES_SMALL_UPLOAD_MAX_BYTES + 65536))
# A direct upload (PUT of the raw bytes) is exactly the file.
EDGE_LARGE_BODY_MAX_BYTES=$FILES_MAX_BYTES
# Request headers a client may send: a browser sends about 20, Cloudflare adds
# about 10. uvicorn takes any number (and Django copies each into the request).
MAX_HEADERS=100

case $target in
compose)
	: "${APP_UPSTREAM:=app:8000}"
	: "${EDGE_NGINX_USER:=nginx}"
	: "${EDGE_PID_FILE:=/var/run/nginx.pid}"
	: "${EDGE_TEMP_DIR:=/var/cache/nginx}"
	: "${EDGE_ACCESS_LOG:=/dev/stdout}"
	: "${EDGE_ERROR_LOG:=stderr}"
	: "${EDGE_LISTEN_ADDRESSES:=0.0.0.0}"
	: "${EDGE_HTTP_PORT:=80}"
	: "${EDGE_STORAGE_UPSTREAM:=}"
	;;
vm)
	: "${EDGE_DOMAIN:?EDGE_DOMAIN is required: the name the certificate is issued for}"
	case $EDGE_DOMAIN in
	*[!A-Za-z0-9.-]* | .* | *.) fail "EDGE_DOMAIN is not a domain name: '$EDGE_DOMAIN'" ;;
	esac
	: "${APP_UPSTREAM:=127.0.0.1:8000}"
	: "${APP_VAR_DIR:=/var/lib/overengineered-backend}"
	: "${EDGE_NGINX_USER:=www-data}"
	: "${EDGE_PID_FILE:=/run/nginx.pid}"
	: "${EDGE_TEMP_DIR:=/var/lib/nginx}"
	: "${EDGE_ACCESS_LOG:=/var/log/nginx/access.log}"
	: "${EDGE_ERROR_LOG:=/var/log/nginx/error.log}"
	: "${EDGE_LISTEN_ADDRESSES:=0.0.0.0 [::]}"
	: "${EDGE_HTTP_PORT:=80}"
	: "${EDGE_HTTPS_PORT:=443}"
	: "${EDGE_TLS_CERT:=/etc/letsencrypt/live/$EDGE_DOMAIN/fullchain.pem}"
	: "${EDGE_TLS_KEY:=/etc/letsencrypt/live/$EDGE_DOMAIN/privkey.pem}"
	: "${EDGE_ACME_WEBROOT:=/var/www/acme}"
	: "${EDGE_CLOUDFLARE:=0}"
	: "${EDGE_ORIGIN_PULL_CA:=}"
	: "${FILES_LOCAL_ACCEL_REDIRECT_PREFIX:=}"
	EDGE_NGINX_VERSION=$(nginx_version)
	EDGE_MEDIA_DIR=$APP_VAR_DIR/media
	if [ "$EDGE_HTTPS_PORT" = 443 ]; then EDGE_HTTPS_PORT_SUFFIX=''; else EDGE_HTTPS_PORT_SUFFIX=:$EDGE_HTTPS_PORT; fi
	for name in APP_VAR_DIR EDGE_TLS_CERT EDGE_TLS_KEY EDGE_ACME_WEBROOT EDGE_HTTPS_PORT; do
		eval "require_plain $name \"\$$name\""
	done
	;;
*) fail "unknown target '$target' (compose or vm)" ;;
esac
for name in APP_UPSTREAM EDGE_NGINX_USER EDGE_PID_FILE EDGE_TEMP_DIR EDGE_ACCESS_LOG EDGE_ERROR_LOG EDGE_HTTP_PORT; do
	eval "require_plain $name \"\$$name\""
done

# shellcheck disable=SC2016 # envsubst takes the names literally
SUBSTITUTED='${APP_UPSTREAM} ${EDGE_NGINX_USER} ${EDGE_PID_FILE} ${EDGE_TEMP_DIR}
${EDGE_ACCESS_LOG} ${EDGE_ERROR_LOG} ${EDGE_SMALL_BODY_MAX_BYTES} ${EDGE_LARGE_BODY_MAX_BYTES}
${EDGE_DOMAIN} ${EDGE_TLS_CERT} ${EDGE_TLS_KEY} ${EDGE_ACME_WEBROOT} ${EDGE_HTTPS_PORT_SUFFIX}
${FILES_LOCAL_ACCEL_REDIRECT_PREFIX} ${EDGE_MEDIA_DIR} ${EDGE_STORAGE_UPSTREAM}'
export APP_UPSTREAM EDGE_NGINX_USER EDGE_PID_FILE EDGE_TEMP_DIR EDGE_ACCESS_LOG EDGE_ERROR_LOG \
	EDGE_SMALL_BODY_MAX_BYTES EDGE_LARGE_BODY_MAX_BYTES EDGE_DOMAIN EDGE_TLS_CERT EDGE_TLS_KEY \
	EDGE_ACME_WEBROOT EDGE_HTTPS_PORT_SUFFIX FILES_LOCAL_ACCEL_REDIRECT_PREFIX EDGE_MEDIA_DIR \
	EDGE_STORAGE_UPSTREAM

render() {
	envsubst "$SUBSTITUTED" <"$source_dir/$1" >"$out/$2"
}

listen() { # port [parameters]
	for address in $EDGE_LISTEN_ADDRESSES; do
		printf 'listen %s:%s%s;\n' "$address" "$1" "${2:-}"
	done
}

mkdir -p "$out/snippets" "$out/cloudflare" "$out/generated"
cp "$source_dir"/snippets/*.conf "$out/snippets/"
cp "$source_dir/cloudflare/ips.conf" "$out/cloudflare/"
render nginx.conf.template nginx.conf
render "sites/$target.conf.template" site.conf
render snippets/app-locations.conf.template snippets/app-locations.conf
listen "$EDGE_HTTP_PORT" >"$out/generated/listen-http.conf"
options=$out/generated/options.conf
: >"$options"

# Header size is capped in snippets/http.conf; the count, where this nginx can.
if nginx_has_max_headers; then
	echo "max_headers $MAX_HEADERS;" >"$out/generated/header-count.conf"
else
	echo "# This nginx has no max_headers: only the header size caps bound the count." >"$out/generated/header-count.conf"
	[ "$target" = compose ] ||
		echo "render.sh: warning: this nginx has no max_headers directive; the header count is bounded only by the size caps" >&2
fi

if [ "$target" = compose ] && [ -n "$EDGE_STORAGE_UPSTREAM" ]; then
	require_plain EDGE_STORAGE_UPSTREAM "$EDGE_STORAGE_UPSTREAM"
	render snippets/storage-emulator.conf.template generated/storage-emulator.conf
	echo 'include generated/storage-emulator.conf;' >>"$options"
fi

if [ "$target" = vm ]; then
	render snippets/acme-challenge.conf.template snippets/acme-challenge.conf
	# nginx 1.25.1 made HTTP/2 a directive of its own and deprecated the listen
	# parameter; Debian 12 ships 1.22, Ubuntu 24.04 1.24, Debian 13 1.26.
	if version_at_least "$EDGE_NGINX_VERSION" 1.25.1; then
		{
			listen "$EDGE_HTTPS_PORT" ' ssl'
			echo 'http2 on;'
		} >"$out/generated/listen-https.conf"
	else
		listen "$EDGE_HTTPS_PORT" ' ssl http2' >"$out/generated/listen-https.conf"
	fi
	case $EDGE_CLOUDFLARE in
	1) echo 'include snippets/cloudflare-real-ip.conf;' >>"$options" ;;
	0) ;;
	*) fail "EDGE_CLOUDFLARE must be 0 or 1, got '$EDGE_CLOUDFLARE'" ;;
	esac
	if [ -n "$EDGE_ORIGIN_PULL_CA" ]; then
		[ "$EDGE_CLOUDFLARE" = 1 ] || fail "EDGE_ORIGIN_PULL_CA needs EDGE_CLOUDFLARE=1"
		cp "$EDGE_ORIGIN_PULL_CA" "$out/cloudflare/origin-pull-ca.pem"
		echo 'include snippets/cloudflare-origin-pull.conf;' >>"$options"
	fi
	if [ -n "$FILES_LOCAL_ACCEL_REDIRECT_PREFIX" ]; then
		case $FILES_LOCAL_ACCEL_REDIRECT_PREFIX in
		/*[!A-Za-z0-9_/-]* | [!/]*) fail "FILES_LOCAL_ACCEL_REDIRECT_PREFIX must be a path like /_protected" ;;
		esac
		render snippets/accel-redirect.conf.template generated/accel-redirect.conf
		echo 'include generated/accel-redirect.conf;' >>"$options"
	fi
fi
