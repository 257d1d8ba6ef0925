#!/bin/bash
# InfluxDB 2.x first-start set-up (mounted into /docker-entrypoint-initdb.d/ of the
# influxdb:2 image, which runs it once, after creating the org, the admin token
# and the raw bucket `energy` with DOCKER_INFLUXDB_INIT_RETENTION; the influx CLI
# is already configured with the admin token here).
#
# Adds: the rollups' bucket `energy/rollups` (the private rollups, kept
# ROLLUP_RETENTION_DAYS, longer than the raw readings; named as `influxd upgrade`
# names a 1.x policy, so the services' bucket setting is the same on 1.x and
# 2.x), the imported history's bucket `energy/imported` (interval and cost
# readings of the importers, kept as long as the rollups), the bucket
# `energy/handed` (the readings arrival markers hand the rollup, kept two
# days), the public bucket, DBRP mappings (InfluxQL /query?db=energy, with
# "rollups"."<measurement>" for the rollups, and db=energy_public, which api/
# and Grafana use), and one token per service with the least rights it needs,
# written to /tokens/<service>.token (a volume the services mount read-only):
#   collector  write energy + energy/imported + energy/handed (ingest only)
#   rollup     read energy + energy/rollups + energy/imported + energy/handed,
#              write energy + energy/rollups + energy_public
#   api        read energy + energy/rollups + energy_public
#   alerts     read energy + energy/rollups, write energy (alert_events)
#   grafana    read energy + energy/rollups + energy/imported (staff organisation)
#   citizens   read energy_public only            (citizens' organisation)
set -euo pipefail

org="${DOCKER_INFLUXDB_INIT_ORG}"
raw_id="${DOCKER_INFLUXDB_INIT_BUCKET_ID}"
public_bucket="${ENERGY_PUBLIC_BUCKET:-energy_public}"
raw_bucket="${DOCKER_INFLUXDB_INIT_BUCKET}"

public_id=$(influx bucket create --org "$org" --name "$public_bucket" \
    --retention "${PUBLIC_RETENTION:-0}" --hide-headers | awk '{print $1}')
rollup_days="${ROLLUP_RETENTION_DAYS:-0}"
rollup_retention=$([ "$rollup_days" = 0 ] && echo 0 || echo "${rollup_days}d")
rollup_id=$(influx bucket create --org "$org" --name "$raw_bucket/rollups" \
    --retention "$rollup_retention" --hide-headers | awk '{print $1}')

influx v1 dbrp create --org "$org" --db "$raw_bucket" --rp autogen --bucket-id "$raw_id" --default
imported_id=$(influx bucket create --org "$org" --name "$raw_bucket/imported" \
    --retention "$rollup_retention" --hide-headers | awk '{print $1}')
influx v1 dbrp create --org "$org" --db "$raw_bucket" --rp rollups --bucket-id "$rollup_id"
influx v1 dbrp create --org "$org" --db "$raw_bucket" --rp imported --bucket-id "$imported_id"
handed_id=$(influx bucket create --org "$org" --name "$raw_bucket/handed" \
    --retention 48h --hide-headers | awk '{print $1}')
influx v1 dbrp create --org "$org" --db "$raw_bucket" --rp handed --bucket-id "$handed_id"
influx v1 dbrp create --org "$org" --db "$public_bucket" --rp autogen --bucket-id "$public_id" --default

mkdir -p /tokens
umask 022
make_token() {
    local name=$1
    shift
    influx auth create --org "$org" --description "energy-$name" "$@" --hide-headers \
        | awk '{print $3}' > "/tokens/$name.token"
    echo "token for $name: $*"
}
make_token collector --write-bucket "$raw_id" --write-bucket "$imported_id" \
    --write-bucket "$handed_id"
make_token rollup --read-bucket "$raw_id" --read-bucket "$rollup_id" --read-bucket "$imported_id" \
    --read-bucket "$handed_id" --write-bucket "$raw_id" --write-bucket "$rollup_id" --write-bucket "$public_id"
make_token api --read-bucket "$raw_id" --read-bucket "$rollup_id" --read-bucket "$public_id"
# The API writes one thing: acknowledgements made through it, as alert_events (raw bucket).
make_token api-events --write-bucket "$raw_id"
make_token alerts --read-bucket "$raw_id" --read-bucket "$rollup_id" --write-bucket "$raw_id"
make_token grafana --read-bucket "$raw_id" --read-bucket "$rollup_id" --read-bucket "$imported_id"
make_token citizens --read-bucket "$public_id"
