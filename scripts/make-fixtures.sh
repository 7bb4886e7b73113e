#!/usr/bin/env bash
# make-fixtures.sh - makes the real crash dumps that the replay tests (RealDumpReplayTest) mount: a
# Debian amd64 kernel booted under QEMU and crashed, once plainly (QEMU dump-guest-memory: guest.elf, ...)
# and once with a real kdump capture kernel (its /proc/vmcore: kdump-vmcore.elf), plus the debug vmlinux,
# KVER and the console logs with FIXTURE-MARKER-42; and the same for Debian's arm64 kernel (QEMU's dumps and the
# genuine /proc/vmcore of an in-guest kdump), which Arm64KdumpMountTest replays, and of Debian's s390x kernel
# with that architecture's crash and makedumpfile (S390RealDumpReplayTest).
#
# The work is done by shared/tools/make-guest-dump.sh and make-arch-dump.sh beside this clone; this script only
# finds it and says why it cannot when it is not there. Needs root (apt-get, /var/cache) and QEMU; takes
# minutes (TCG boots, ~860 MB of kernel debug package on the first run).
#
# Usage: scripts/make-fixtures.sh [--if-missing]
#   --if-missing  make only the sets that are missing (each prints the time it took)
# Where: ${VMCOREFS_FIXTURES:-/var/cache/vmcore-fixtures} and ${VMCOREFS_ARCH_FIXTURES:-/var/cache/vmcore-fixtures-arch}
# (the tests look there too).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${VMCOREFS_FIXTURES:-/var/cache/vmcore-fixtures}
maker=$here/../shared/tools/make-guest-dump.sh

archdir=${VMCOREFS_ARCH_FIXTURES:-/var/cache/vmcore-fixtures-arch}
# The architectures whose real dumps the tests replay (ARCH=... shared/tools/make-arch-dump.sh each).
arches="arm64 s390x"
arch_maker=$here/../shared/tools/make-arch-dump.sh

x86_present() { [ -e "$dir/vmlinux" ] && { [ -e "$dir/kdump-vmcore.elf" ] || [ -e "$dir/guest.elf" ]; }; }
# s390x: no in-guest kdump (Debian's s390x kernel has no CONFIG_CRASH_DUMP); its own crash and makedumpfile
# (setup-native-tools.sh, run through qemu-user) instead.
arch_present() {
    [ -e "$archdir/$1/vmlinux" ] && [ -e "$archdir/$1/guest.elf" ] || return 1
    if [ "$1" = s390x ]; then [ -e "$archdir/$1/guest.kdump" ] && [ -x "$archdir/$1/bin/crash" ]
    else [ -e "$archdir/$1/kdump-vmcore.elf" ]; fi
}

missing=""
if [ "${1:-}" != --if-missing ] || ! x86_present; then missing="x86_64"; fi
for a in $arches; do
    if [ "${1:-}" != --if-missing ] || ! arch_present "$a"; then missing="$missing $a"; fi
done
[ -n "$missing" ] || exit 0
if [ ! -f "$maker" ] || [ ! -f "$arch_maker" ]; then
    echo "make-fixtures: cannot make real dumps ($missing): $maker or $arch_maker is not there (they come with" \
         "the project's shared/ directory beside the clone); the replay tests will fail unless" \
         "VMCOREFS_MAY_SKIP=fixtures" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "make-fixtures: cannot make real dumps as $(id -un): the makers need root (apt-get, $dir, $archdir)" >&2
    exit 1
fi
for m in $missing; do
    start=$(date +%s)
    if [ "$m" = x86_64 ]; then
        echo "make-fixtures: making real x86_64 dumps in $dir with $maker (takes minutes)" >&2
        VMCORE_FIXTURES=$dir bash "$maker"
    else
        echo "make-fixtures: making real $m dumps in $archdir/$m with $arch_maker (takes minutes)" >&2
        ARCH=$m CACHE=$archdir bash "$arch_maker"
        if [ "$m" = s390x ]; then
            CACHE=$archdir bash "$here/../shared/tools/setup-native-tools.sh" s390x
        fi
    fi
    echo "make-fixtures: $m fixtures made in $(( $(date +%s) - start )) s" >&2
done
