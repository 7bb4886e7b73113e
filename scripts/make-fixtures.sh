#!/usr/bin/env bash
# make-fixtures.sh - makes the real crash dumps that the replay tests (RealDumpReplayTest) mount: a
# Debian amd64 kernel booted under QEMU and crashed, once plainly (QEMU dump-guest-memory: guest.elf, ...)
# and once with a real kdump capture kernel (its /proc/vmcore: kdump-vmcore.elf), plus the debug vmlinux,
# KVER and the console logs with FIXTURE-MARKER-42; and the same for Debian's arm64 kernel (QEMU's dumps and the
# genuine /proc/vmcore of an in-guest kdump), which Arm64KdumpMountTest replays; and likewise Debian's ppc64le,
# i386 and s390x kernels (s390x has no in-guest kdump: its kernel lacks CONFIG_CRASH_DUMP), each with that
# architecture's own crash, makedumpfile and vmcore-dmesg (qemu-user, or natively for i386) in <arch>/bin/.
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
arches="arm64 ppc64le i386 s390x"
arch_maker=$here/../shared/tools/make-arch-dump.sh
tools_dir=$here/../shared/tools

x86_present() { [ -e "$dir/vmlinux" ] && { [ -e "$dir/kdump-vmcore.elf" ] || [ -e "$dir/guest.elf" ]; }; }
# s390x makes no kdump-vmcore.elf (see above); every architecture has its tools' wrappers in bin/.
arch_dumps_present() {
    [ -e "$archdir/$1/vmlinux" ] && [ -e "$archdir/$1/guest.elf" ] && [ -e "$archdir/$1/guest.kdump" ] &&
        { [ "$1" = s390x ] || [ -e "$archdir/$1/kdump-vmcore.elf" ]; }
}
arch_tools_present() { [ -x "$archdir/$1/bin/makedumpfile" ]; }
arch_present() { arch_dumps_present "$1" && arch_tools_present "$1"; }

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
        if [ "${1:-}" != --if-missing ] || ! arch_dumps_present "$m"; then
            echo "make-fixtures: making real $m dumps in $archdir/$m with $arch_maker (takes minutes)" >&2
            ARCH=$m CACHE=$archdir bash "$arch_maker"
        fi
        if [ "${1:-}" != --if-missing ] || ! arch_tools_present "$m"; then
            echo "make-fixtures: setting up $m's own crash/makedumpfile/vmcore-dmesg in $archdir/$m/bin" >&2
            if [ "$m" = i386 ]; then CACHE=$archdir bash "$tools_dir/setup-i386-tools.sh"
            else CACHE=$archdir bash "$tools_dir/setup-native-tools.sh" "$m"; fi
        fi
    fi
    echo "make-fixtures: $m fixtures made in $(( $(date +%s) - start )) s" >&2
done
