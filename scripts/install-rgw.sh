#!/usr/bin/env bash
# Installs what the real-S3 tests need: a one-node Ceph cluster (monitor, OSD,
# radosgw) that test/helpers/rgw.ts starts as child processes on 127.0.0.1.
# Idempotent: does nothing when every package is already installed; runs
# `apt-get update` only when something is missing. Debian 12, as root.
set -euo pipefail

packages=(ceph-mon ceph-osd ceph-base ceph-common radosgw)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-rgw: already installed: ${packages[*]}"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-rgw: missing ${missing[*]}; run this script as root (e.g. sudo npm run rgw)." >&2
  exit 1
fi

echo "install-rgw: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"

for bin in monmaptool ceph-mon ceph-osd radosgw radosgw-admin ceph; do
  command -v "$bin" >/dev/null || { echo "install-rgw: $bin still missing after install" >&2; exit 1; }
done
echo "install-rgw: done ($(ceph --version 2>/dev/null | head -1))"
