#!/usr/bin/env bash
# make-fixtures.sh - makes the real crash dumps that the replay tests (RealDumpReplayTest) mount: a
# Debian amd64 kernel booted under QEMU and crashed, once plainly (QEMU dump-guest-memory: guest.elf, ...)
# and once with a real kdump capture kernel (its /proc/vmcore: kdump-vmcore.elf), plus the debug vmlinux,
# KVER and the console logs with FIXTURE-MARKER-42.
#
# The work is done by shared/tools/make-guest-dump.sh beside this clone (../shared/tools); this script only
# finds it and says why it cannot when it is not there. Needs root (apt-get, /var/cache) and QEMU; takes
# minutes (TCG boots, ~860 MB of kernel debug package on the first run).
#
# Usage: scripts/make-fixtures.sh [--if-missing]
#   --if-missing  do nothing when the fixture directory already has a dump
# Where: ${VMCOREFS_FIXTURES:-/var/cache/vmcore-fixtures} (the tests look there too).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${VMCOREFS_FIXTURES:-/var/cache/vmcore-fixtures}
maker=$here/../shared/tools/make-guest-dump.sh

if [ "${1:-}" = --if-missing ] && [ -e "$dir/vmlinux" ] \
        && { [ -e "$dir/kdump-vmcore.elf" ] || [ -e "$dir/guest.elf" ]; }; then
    exit 0
fi
if [ ! -f "$maker" ]; then
    echo "make-fixtures: cannot make real dumps: $maker is not there (it comes with the project's shared/" \
         "directory beside the clone); the replay tests will fail unless VMCOREFS_MAY_SKIP=fixtures" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "make-fixtures: cannot make real dumps as $(id -un): $maker needs root (apt-get, $dir)" >&2
    exit 1
fi
echo "make-fixtures: making real dumps in $dir with $maker (takes minutes)" >&2
VMCORE_FIXTURES=$dir exec bash "$maker"
