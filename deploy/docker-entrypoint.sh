#!/bin/sh
# Entry point of the uat image: UAT_<SETTING>_FILE=/run/secrets/x sets UAT_<SETTING> to the file's
# content (secrets from files; the platform's settings take values, not paths), then runs
# `uat <args>` with the launcher's JVM flags and umask.
set -eu
umask 077
for var in $(env | sed -n 's/^\(UAT_[A-Z0-9_]*\)_FILE=.*/\1/p'); do
  file=$(printenv "${var}_FILE")
  [ -r "$file" ] || { echo "uat: ${var}_FILE: cannot read $file" >&2; exit 1; }
  export "$var=$(cat "$file")"
  unset "${var}_FILE"
done
# shellcheck disable=SC2046,SC2086
exec java $(cat /opt/uat/jvm.flags) ${UAT_JAVA_OPTS:-} -jar /opt/uat/uat.jar "$@"
