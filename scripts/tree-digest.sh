#!/usr/bin/env bash
# tree-digest.sh - mounts each profile with a fixed set of options and prints, per file, its mode, size and
# SHA-256 (read in one fixed order), so that two builds can be compared file for file:
#
#   scripts/tree-digest.sh [JAR] > before.txt     (JAR defaults to fs/target/vmcorefs.jar)
#   ... change the code, build ...
#   scripts/tree-digest.sh > after.txt && diff before.txt after.txt
#
# stats.json and read-map.json are left out (they count the reads themselves). zcore/mem is read last of the s390 files,
# since its close releases the HSA. Real dumps under ${VMCOREFS_FIXTURES:-/var/cache/vmcore-fixtures}
# are replayed too where present. Every mount is unmounted again; nothing is left behind.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
jar=${1:-$here/fs/target/vmcorefs.jar}
fixtures=${VMCOREFS_FIXTURES:-/var/cache/vmcore-fixtures}
work=$(mktemp -d)
mnt=$work/mnt
pid=""
cleanup() {
    if grep -q " $mnt fuse" /proc/self/mounts 2>/dev/null; then fusermount -u "$mnt" || true; fi
    if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A raw memory image with reproducible content.
head -c $((64 << 20)) /dev/zero | openssl enc -aes-128-ctr -K 00112233445566778899aabbccddeeff \
    -iv 0 -nosalt 2>/dev/null > "$work/raw.img"

digest() {
    local name=$1; shift
    mkdir -p "$mnt"
    java -Xmx256m -jar "$jar" mount --foreground --ready-file "$work/ready" "$@" "$mnt" >"$work/log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do
        [ -s "$work/ready" ] && break
        kill -0 "$pid" 2>/dev/null || { echo "== $name: mount failed"; sed 's/^/   /' "$work/log" | tail -3; pid=""; return; }
        sleep 0.05
    done
    rm -f "$work/ready"
    echo "== $name: $*"
    (cd "$mnt" && find . -type f -o -type d | LC_ALL=C sort) > "$work/files"
    local last=""
    while read -r f; do
        case $f in */stats.json|*/read-map.json) continue ;; */zcore/mem) last=$f; continue ;; esac
        describe "$f"
    done < "$work/files"
    [ -z "$last" ] || describe "$last"
    fusermount -u "$mnt"
    wait "$pid" || true
    pid=""
}

describe() {
    local f=$1 st sum
    st=$(stat -c '%A %s' "$mnt/$f")
    if [ -d "$mnt/$f" ]; then echo "$st $f/"; return; fi
    if [ "${st:1:1}" = r ]; then
        case $f in
            # zcore/mem reads EFAULT in a memory hole: its first 128 MiB lie below every hole made here.
            */zcore/mem) sum=$( (head -c $((128 << 20)) "$mnt/$f" | sha256sum | cut -c1-64) 2>&1) || sum="read failed" ;;
            *) sum=$( (sha256sum < "$mnt/$f" | cut -c1-64) 2>&1) || sum="read failed" ;;
        esac
    else
        sum="(not readable)"
    fi
    echo "$st $sum $f"
}

digest x86-default
digest x86-2g --memory 2G --cpus 4 --seed 7 --populated 0.3
digest x86-crashkernel --memory 768M --crashkernel 64M@256M --kaslr-offset 200000
digest x86-raw --image "$work/raw.img"
digest s390 --profile s390x-zfcpdump --memory 256M --cpus 3
digest s390-hsa --profile s390x-zfcpdump --memory 512M --hsa-size 64M --seed 3
digest phyp --profile ppc64-phyp --memory 1G --cpus 4
digest fadump --profile ppc64-fadump --memory 1G --cpus 2
digest fadump-le --profile ppc64le-fadump --memory 1G --cpus 2 --seed 5
for f in kdump-vmcore.elf guest.elf guest-paging.elf guest.kdump; do
    [ -f "$fixtures/$f" ] && digest "replay-$f" --image "$fixtures/$f"
done
exit 0
