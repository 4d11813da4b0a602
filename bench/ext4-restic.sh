#!/usr/bin/env bash
# Issue 15's volume-image scenario: a 400 MiB ext4 image filled from
# /usr/share/doc (mkfs.ext4 -d, no mount), backed up with `agent backup --disk`
# and with `restic backup`; then 40 scattered 40 KiB random writes (seeded) and
# both again. Prints each repository's size after the full backup and its
# growth from the incremental, side by side. Needs dist/cli.js (npm run build).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLI="$ROOT/dist/cli.js"
WORK="${BENCH_WORK:-$ROOT/.bench/ext4}"
rm -rf "$WORK" && mkdir -p "$WORK/home" && cd "$WORK"
export XDG_CONFIG_HOME="$WORK/home/config" XDG_DATA_HOME="$WORK/home/data"
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR="$WORK/restic-cache"
size() { du -sb "$1" | cut -f1; }
truncate -s 400M img
mkfs.ext4 -q -F -d /usr/share/doc img >/dev/null
restic init -q -r restic >/dev/null
node "$CLI" repo add bh "$WORK/bh" >/dev/null
node "$CLI" agent backup --repo bh --job img --machine m --kind server --disk "sys=$WORK/img" >/dev/null 2>&1
restic backup -q -r restic img >/dev/null
b1=$(size bh); r1=$(size restic)
python3 - "$WORK/img" <<'PY'
import os, random, sys
random.seed(15)
path = sys.argv[1]; n = os.path.getsize(path)
with open(path, 'r+b') as f:
    for _ in range(40):
        f.seek(random.randrange(0, n - 40960) // 4096 * 4096); f.write(os.urandom(40960))
PY
node "$CLI" agent backup --repo bh --job img --machine m --kind server --disk "sys=$WORK/img" >/dev/null 2>&1
restic backup -q -r restic img >/dev/null
b2=$(size bh); r2=$(size restic)
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
echo "ext4 image (400 MiB, /usr/share/doc), $(restic version | cut -d' ' -f1-2):"
echo "  full backup:        Backhaul $(mb "$b1")   restic $(mb "$r1")"
echo "  incremental growth: Backhaul $(mb $((b2 - b1)))   restic $(mb $((r2 - r1)))   (40 random writes of 40 KiB)"
rm -rf "$WORK"
