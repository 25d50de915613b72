#!/bin/sh
# Entry point of the stack's services (a Docker config, mounted at /run/configs/):
# settings and secrets into the environment, then the service's own command.
#
#   /run/configs/*.env   KEY=value lines (Docker configs); # comments and blank lines skipped
#   /run/secrets/NAME    one secret each (Docker secrets), exported as NAME
#
# Values are taken literally: no quotes removed, nothing expanded. A line that is not
# KEY=value stops the service, naming the file and the line. ENTRYPOINT_CONFIGS_DIR and
# ENTRYPOINT_SECRETS_DIR point elsewhere (tests do).
set -eu

configs=${ENTRYPOINT_CONFIGS_DIR:-/run/configs}
secrets=${ENTRYPOINT_SECRETS_DIR:-/run/secrets}

fail() {
	echo "entrypoint: $*" >&2
	exit 78 # EX_CONFIG
}

require_name() { # name where
	case $1 in
	'' | [0-9]* | *[!A-Za-z0-9_]*) fail "$2: not a variable name: '$1'" ;;
	esac
}

for file in "$configs"/*.env; do
	[ -f "$file" ] || continue
	number=0
	while IFS= read -r line || [ -n "$line" ]; do
		number=$((number + 1))
		case $line in
		'' | '#'*) continue ;;
		*=*) ;;
		*) fail "$file line $number: expected KEY=value" ;;
		esac
		require_name "${line%%=*}" "$file line $number"
		export "${line%%=*}=${line#*=}"
	done <"$file"
done

for file in "$secrets"/*; do
	[ -f "$file" ] || continue
	name=${file##*/}
	require_name "$name" "secret $file"
	# $(...) drops trailing newlines, as `echo value | docker secret create` adds one.
	export "$name=$(cat "$file")"
done

[ $# -gt 0 ] || fail "no command to run"
exec "$@"
