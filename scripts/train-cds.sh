#!/usr/bin/env bash
# Writes fs/target/vmcorefs.jsa, a class-data-sharing archive of the classes one mount uses, so that
# `vmcorefs mount` starts its JVMs faster. Trained by one real mount (read some files, unmount); where
# FUSE is not available it does nothing, and the launcher simply runs without the archive.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
jar=$here/fs/target/vmcorefs.jar
jsa=$here/fs/target/vmcorefs.jsa
[ -f "$jar" ] || { echo "train-cds: $jar missing; build first" >&2; exit 1; }
[ -e /dev/fuse ] && command -v fusermount >/dev/null || { echo "train-cds: no FUSE here; skipped" >&2; exit 0; }
mnt=$(mktemp -d /tmp/vmcorefs-cds.XXXXXX)
rm -f "$jsa"
java -XX:ArchiveClassesAtExit="$jsa" -Xlog:cds=off -Xlog:cds+dynamic=off -Xmx128m -XX:+UseSerialGC \
    -jar "$jar" mount --foreground "$mnt" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q " $mnt fuse" /proc/self/mounts && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
if grep -q " $mnt fuse" /proc/self/mounts; then
    head -c 1048576 "$mnt/proc/vmcore" >/dev/null; cat "$mnt/.vmcorefs/stats.json" >/dev/null; ls -lR "$mnt" >/dev/null
    fusermount -u "$mnt"
fi
wait $pid || true
rmdir "$mnt" 2>/dev/null || true
# The launcher's help, stats and unmount paths are trained by the parent of a mount; one --help run adds picocli's.
java -XX:SharedArchiveFile="$jsa" -Xlog:cds=off -Xlog:cds+dynamic=off -jar "$jar" --help >/dev/null 2>&1 || true
[ -f "$jsa" ] && touch "$jsa" && echo "train-cds: wrote $jsa ($(du -h "$jsa" | cut -f1))" >&2 || echo "train-cds: no archive written" >&2
