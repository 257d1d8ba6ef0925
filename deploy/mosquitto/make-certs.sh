#!/bin/sh
# Make a private CA and a broker certificate for Mosquitto's TLS listener.
#
#   deploy/mosquitto/make-certs.sh OUTDIR [HOSTNAME ...]
#
# Writes OUTDIR/ca.crt, ca.key, server.crt, server.key. The server certificate
# names every HOSTNAME (default: localhost) and 127.0.0.1. Copy ca.crt (never
# ca.key) to each site box and point the agent at it (ENERGY_MQTT_CA).
# For a trial or a test; a city deployment uses its own PKI. Never commit keys.
set -eu

out=${1:?usage: make-certs.sh OUTDIR [HOSTNAME ...]}
shift
[ "$#" -gt 0 ] || set -- localhost
mkdir -p "$out"
umask 077

san="IP:127.0.0.1"
for host in "$@"; do
    san="$san,DNS:$host"
done

openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 \
    -subj "/O=Gwangju energy platform/CN=energy-platform test CA" \
    -keyout "$out/ca.key" -out "$out/ca.crt" 2>/dev/null

openssl req -newkey rsa:2048 -nodes -sha256 \
    -subj "/O=Gwangju energy platform/CN=$1" \
    -keyout "$out/server.key" -out "$out/server.csr" 2>/dev/null

printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" > "$out/server.ext"
openssl x509 -req -in "$out/server.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
    -CAcreateserial -days 825 -sha256 -extfile "$out/server.ext" \
    -out "$out/server.crt" 2>/dev/null
rm -f "$out/server.csr" "$out/server.ext" "$out/ca.srl"

# The broker runs unprivileged and must read its key; the CA key stays private.
chmod 644 "$out/ca.crt" "$out/server.crt"
chmod 640 "$out/server.key"
echo "wrote $out/ca.crt $out/server.crt $out/server.key (CA key: $out/ca.key, keep it offline)"
