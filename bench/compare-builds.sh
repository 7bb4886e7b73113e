#!/usr/bin/env bash
# compare-builds.sh BEFORE_JAR [AFTER_JAR] [ROUNDS] - a before/after speed check of two vmcorefs builds:
# the first sequential read (dd bs=1M) and fio psync 4 KiB random p50, on /dev/oldmem of a replayed 2 GiB
# raw image and of a 2 GiB synthetic machine, with the page cache as reference; each server and its reader
# pinned to CPU 0, the systems alternating, ROUNDS rounds (default 7). AFTER_JAR is measured with
# --fuse 2 and with its default adapter. Prints one line per run; take medians. A figure, not a test.
#
# BEFORE_JAR needs its lib/ beside it (copy fs/target/vmcorefs.jar and fs/target/lib of the old build).
set -u
before=${1:?usage: compare-builds.sh BEFORE_JAR [AFTER_JAR] [ROUNDS]}
after=${2:-$(cd "$(dirname "$0")/.." && pwd)/fs/target/vmcorefs.jar}
rounds=${3:-7}
img=/var/tmp/vmcorefs-compare.img
[ -f $img ] || head -c $((2 << 30)) /dev/urandom > $img
cat $img > /dev/null
work=$(mktemp -d); mnt=$work/mnt; mkdir -p $mnt
pid=""
trap 'if grep -q " $mnt fuse" /proc/self/mounts; then fusermount -u $mnt; fi; [ -z "$pid" ] || wait $pid; rm -rf $work' EXIT
gbs() { awk '/copied/{print $(NF-1)$NF}'; }
run() { # label jar options...
    local label=$1 jar=$2; shift 2
    taskset -c 0 java -Xmx128m -XX:+UseSerialGC -jar "$jar" mount --foreground --ready-file $work/ready "$@" $mnt \
        > $work/log 2>&1 &
    pid=$!
    for _ in $(seq 1 400); do [ -s $work/ready ] && break; sleep 0.05; done
    rm -f $work/ready
    local f=$mnt/dev/oldmem
    local seq p50
    seq=$(taskset -c 0 dd if=$f of=/dev/null bs=1M 2>&1 | gbs)
    p50=$(taskset -c 0 fio --name=r --filename=$f --rw=randread --bs=4k --ioengine=psync --runtime=4 --time_based \
        --output-format=json 2>/dev/null | python3 -c \
        'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["read"]["clat_ns"]["percentile"]["50.000000"]/1000,1))')
    fusermount -u $mnt; wait $pid; pid=""
    echo "$label seq=$seq p50=${p50}us"
}
for _ in $(seq 1 "$rounds"); do
    echo "pagecache seq=$(taskset -c 0 dd if=$img of=/dev/null bs=1M 2>&1 | gbs)"
    run before-image "$before" --image $img
    run after-fuse2-image "$after" --fuse 2 --image $img
    run after-image "$after" --image $img
    run before-synthetic "$before" --memory 2G
    run after-fuse2-synthetic "$after" --fuse 2 --memory 2G
    run after-synthetic "$after" --memory 2G
done
