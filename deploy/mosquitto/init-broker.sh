#!/bin/sh
# broker-init (docker-compose.yml): write the broker's ACL, password file and,
# when none are given, a trial TLS certificate, into the volumes Mosquitto reads.
#
# ACL: generated from the sites file (python -m telemetry.broker_acl).
# Passwords: the collector's from MQTT_COLLECTOR_PASSWORD; every agent of the
# sites file gets MQTT_AGENT_PASSWORD (a demo convenience) unless
# /run/secrets/mqtt_users (lines "user:password", e.g. one per site box)
# names it. Hashed with mosquitto_passwd -U; the plain text never reaches the broker.
set -eu

# The directories and files can be moved (tests run this script outside Docker).
auth=${MOSQUITTO_AUTH_DIR:-/mosquitto/auth}
certs=${MOSQUITTO_CERTS_DIR:-/mosquitto/certs}
users_file=${MQTT_USERS_FILE:-/run/secrets/mqtt_users}
python=${PYTHON:-python}
config=${ENERGY_CONFIG:-config/sites/demo.yaml}
mkdir -p "$auth" "$certs"
umask 077

"$python" -m telemetry.broker_acl --config "$config" > "$auth/acl.new"
mv "$auth/acl.new" "$auth/acl"

: "${MQTT_COLLECTOR_PASSWORD:?set MQTT_COLLECTOR_PASSWORD in .env}"
plain="$auth/passwd.plain"
printf 'collector:%s\n' "$MQTT_COLLECTOR_PASSWORD" > "$plain"
if [ -f "$users_file" ]; then
    grep -v '^[[:space:]]*\(#\|$\)' "$users_file" >> "$plain"
fi
if [ -n "${MQTT_AGENT_PASSWORD:-}" ]; then
    for agent in $(sed -n 's/^user //p' "$auth/acl"); do
        [ "$agent" = collector ] && continue
        grep -q "^$agent:" "$plain" || printf '%s:%s\n' "$agent" "$MQTT_AGENT_PASSWORD" >> "$plain"
    done
fi
mosquitto_passwd -U "$plain"
mv "$plain" "$auth/passwd"

if [ ! -f "$certs/server.crt" ]; then
    echo "no broker certificate in $certs: making a trial CA (replace it for production)"
    sh "$(dirname "$0")/make-certs.sh" "$certs" mosquitto ${MQTT_PUBLIC_HOSTNAME:-localhost}
fi

# Mosquitto runs as uid 1883 in the eclipse-mosquitto image.
if [ "$(id -u)" = 0 ]; then
    chown -R 1883:1883 "$auth"
    chown 1883:1883 "$certs/server.key"
fi
chmod 0700 "$auth"
chmod 0600 "$auth/passwd" "$auth/acl"
echo "broker auth ready: $(grep -c . "$auth/passwd") users, ACL for $(grep -c '^user ' "$auth/acl") users"
