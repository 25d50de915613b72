#!/bin/sh
# Rewrites ips.conf from Cloudflare's published lists. Run it now and then,
# review the diff, commit, re-render and reload:
#
#   nginx/cloudflare/update-ips.sh [OUTPUT]      (default: ips.conf beside this script)
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
output=${1:-$here/ips.conf}
base_url=${CLOUDFLARE_IPS_BASE_URL:-https://www.cloudflare.com}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for family in v4 v6; do
	curl --fail --silent --show-error --max-time 20 "$base_url/ips-$family" >"$work/$family"
done
# Only address/prefix lines may reach the config; an error page must not.
if grep -Evq '^([0-9a-fA-F.:]+/[0-9]{1,3})?$' "$work/v4" "$work/v6"; then
	echo "update-ips.sh: unexpected content in the published lists" >&2
	exit 1
fi
if ! grep -q . "$work/v4" || ! grep -q . "$work/v6"; then
	echo "update-ips.sh: a published list is empty" >&2
	exit 1
fi

{
	echo "# Cloudflare's published edge ranges (https://www.cloudflare.com/ips/), the only"
	echo "# peers whose CF-Connecting-IP is believed. Regenerate with update-ips.sh."
	awk 'NF { print "set_real_ip_from " $1 ";" }' "$work/v4" "$work/v6"
} >"$work/ips.conf"
mv "$work/ips.conf" "$output"
