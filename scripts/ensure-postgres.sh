#!/usr/bin/env bash
# Makes sure PostgreSQL answers on 127.0.0.1:5432 with trust auth, for the @stepwise/dbos tests:
# starts the Debian cluster when it is installed but stopped, installs it from Debian when it is
# missing. Each test file then creates (and drops) a database of its own.
set -euo pipefail

ready() { command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q; }

if ready; then
  echo "postgres: answering on 127.0.0.1:5432"
  exit 0
fi
if ! ls -d /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "postgres: not installed; installing Debian's postgresql"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    sed -i -E 's/(peer|md5|scram-sha-256)$/trust/' "$hba"
  done
fi
version="$(ls /etc/postgresql | head -n 1)"
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
  ready && break
  sleep 1
done
if ! ready; then
  echo "postgres: cluster $version did not start" >&2
  exit 1
fi
echo "postgres: started cluster $version"
