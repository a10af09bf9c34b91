#!/usr/bin/env bash
# Start a local PostgreSQL for the test suite and print the DATABASE_URL to use.
# Installs the server with apt-get if missing (as root), starts the cluster with pg_ctlcluster,
# and creates a role with CREATEDB (the tests create their own database) and a database.
set -euo pipefail

ROLE=assessor
PASSWORD=assessor
DATABASE=assessor

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "Installing PostgreSQL" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -q "^$version main$"; then
  pg_createcluster "$version" main >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start >&2
fi

as_postgres() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA "$@"; }
for _ in $(seq 1 30); do
  as_postgres -c "SELECT 1" >/dev/null 2>&1 && break
  sleep 1
done
if [ "$(as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
  as_postgres -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'" >&2
fi
if [ "$(as_postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != "1" ]; then
  as_postgres -c "CREATE DATABASE $DATABASE OWNER $ROLE" >&2
fi
echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE"
