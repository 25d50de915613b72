#!/bin/sh
# With FILES_LOCAL_ACCEL_REDIRECT_PREFIX set, nginx sends local downloads from
# $APP_VAR_DIR/media itself, so its workers must read that, and nothing else of
# the app's state (the SQLite database, the secret key). media/ belongs to
# nginx's group and is setgid, so everything the app stores below it does too
# (it writes directories 0750 and files 0640, app/config/settings.py); the
# state directory above is only traversable by others (0751, as the unit's
# StateDirectoryMode keeps it). Idempotent: bootstrap.sh runs it on each deploy.
set -eu

: "${APP_VAR_DIR:?set APP_VAR_DIR to the state directory}"
app_user=${APP_USER:-app}
app_group=$(id -gn "$app_user")
nginx_group=$(id -gn "${EDGE_NGINX_USER:-www-data}")
media=$APP_VAR_DIR/media

install -d -o "$app_user" -g "$app_group" -m 0751 "$APP_VAR_DIR"
install -d -o "$app_user" -g "$nginx_group" -m 2750 "$media"
# Files stored before the prefix was set.
chgrp -R "$nginx_group" "$media"
find "$media" -type d -exec chmod 2750 {} +
