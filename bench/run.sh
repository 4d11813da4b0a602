#!/usr/bin/env bash
# npm run bench: every benchmark, each printing ratios against a reference
# tool run in the same script on the same data.
set -euo pipefail
cd "$(dirname "$0")/.."
node --import tsx bench/backup-copy.ts --keep "$@"
# The full copy again, each tool in two states of the machine's memory and against the disk's write speed.
node --import tsx bench/copy-full.ts
# The incremental copy and the no-op re-run, rounds from one saved state, each against rsync of the repository.
[ -f bench/copy-incremental.ts ] && node --import tsx bench/copy-incremental.ts
# Opening the chunk index: index files of format 3 (binary) vs the same packs in format 2 (JSON).
[ -f bench/index-open.ts ] && node --import tsx bench/index-open.ts
# A 2,000,000-chunk index: open vs sha256sum of its files; a refresh after one more backup vs opening again.
[ -f bench/index-large.ts ] && node --import tsx bench/index-large.ts
rm -rf .bench/work
[ -f bench/demo-noop.ts ] && node --import tsx bench/demo-noop.ts
[ -f bench/tui.ts ] && node --import tsx bench/tui.ts
# Screens of a 100,000-point backup, key to frame with a cold page cache (root drops it; goal < 300 ms).
[ -f bench/big-screens.ts ] && node --import tsx bench/big-screens.ts
[ -f bench/s3.ts ] && node --import tsx bench/s3.ts
[ -f bench/s3-multipart.ts ] && node --import tsx bench/s3-multipart.ts
[ -f bench/tar.ts ] && node --import tsx bench/tar.ts
[ -f bench/ext4-restic.sh ] && command -v restic >/dev/null && bash bench/ext4-restic.sh
# The job service: idle CPU with 10 jobs, immediate mode's commit-to-copied delay.
[ -f bench/jobs-service.ts ] && node --import tsx bench/jobs-service.ts
# Several writers: two copies from different sources into one target at once vs one after the other.
[ -f bench/two-writers.ts ] && node --import tsx bench/two-writers.ts
# Retention: prune of a repository with 30 % garbage vs restic prune on the same data.
[ -f bench/prune.ts ] && command -v restic >/dev/null && node --import tsx bench/prune.ts
exit 0
