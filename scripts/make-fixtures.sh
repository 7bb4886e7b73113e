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
# finds it, says why it cannot when it is not there, and orders it so that a fresh machine is quick:
#   1. the host's part once, before anything runs side by side: the foreign dpkg architectures, one
#      `apt-get update`, every QEMU and helper package in one `apt-get install`, and a dpkg on the makers'
#      PATH that keeps them from adding an architecture again side by side;
#   2. apt's package cache for this run only (APT_CONFIG): a Debian container image turns it off
#      (docker-clean), so each of the ~150 `apt-get download`s would parse every architecture's lists again
#      (3-10 s each, most of a fresh run); the system's apt configuration is not changed;
#   3. every set's downloads, extractions and tools (make-arch-dump.sh MODES=prepare, setup-*-tools.sh; for
#      x86_64 only the debug vmlinux, taken from the front of the -dbg package) side by side, in the background;
#   4. the QEMU boots one at a time (TCG takes both cores), each as soon as its set is prepared.
# Needs root (apt-get, /var/cache) and QEMU; takes minutes (TCG boots, ~3 GB of kernel debug packages).
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
need_dumps() { [ "$all" = 1 ] || ! arch_dumps_present "$1"; }
need_tools() { [ "$all" = 1 ] || ! arch_tools_present "$1"; }

all=1; [ "${1:-}" = --if-missing ] && all=0
missing=""
if [ "$all" = 1 ] || ! x86_present; then missing="x86_64"; fi
for a in $arches; do
    if [ "$all" = 1 ] || ! arch_present "$a"; then missing="$missing $a"; fi
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
T0=$(date +%s)
say() { echo "make-fixtures: $*" >&2; }
since() { echo $(( $(date +%s) - $1 )); }
work=$(mktemp -d /var/tmp/make-fixtures.XXXXXX)
jobs_started=""
cleanup() {
    local p
    for p in $jobs_started; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# 2. apt's binary package cache, for this run's apt processes only (see the top).
if [ -z "${APT_CONFIG:-}" ]; then
    eval "$(apt-config shell parts Dir::Etc::parts/d)"
    mkdir -p "$work/apt.conf.d"
    for f in "${parts:-/etc/apt/apt.conf.d/}"*; do [ -e "$f" ] && ln -s "$f" "$work/apt.conf.d/"; done
    printf 'Dir::Cache::pkgcache "%s";\nDir::Cache::srcpkgcache "";\n' "$work/pkgcache.bin" \
        > "$work/apt.conf.d/zzzz-make-fixtures"
    printf 'Dir::Etc::parts "%s";\n' "$work/apt.conf.d" > "$work/apt.conf"
    export APT_CONFIG=$work/apt.conf
fi

# 1. The host's packages and dpkg architectures, once, before the makers run side by side (apt and dpkg take
# one lock each; the makers would otherwise each run apt-get update and install what they miss).
pkgs="makedumpfile cpio gzip python3 binutils kmod"
debarches=""
for m in $missing; do
    case $m in
    x86_64)  pkgs="$pkgs qemu-system-x86 busybox-static kexec-tools" ;;
    arm64)   pkgs="$pkgs qemu-system-arm qemu-user-static"; debarches="$debarches arm64" ;;
    ppc64le) pkgs="$pkgs qemu-system-ppc qemu-user-static"; debarches="$debarches ppc64el" ;;
    s390x)   pkgs="$pkgs qemu-system-misc qemu-user-static"; debarches="$debarches s390x" ;;
    i386)    pkgs="$pkgs qemu-system-x86"; debarches="$debarches i386" ;;
    esac
done
t=$(date +%s)
update=0
foreign=$(dpkg --print-foreign-architectures)   # not piped into grep -q: under pipefail dpkg's SIGPIPE would count
for a in $debarches; do
    grep -qx "$a" <<<"$foreign" || { dpkg --add-architecture "$a"; update=1; }
done
absent=""
for p in $(echo $pkgs | tr ' ' '\n' | sort -u); do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || absent="$absent $p"
done
if [ -n "$absent" ] || [ "$update" = 1 ]; then
    say "host: apt-get update${absent:+, installing$absent}"
    apt-get update -qq
    if [ -n "$absent" ]; then
        # kexec-tools must not arrange for this machine to kexec on reboot.
        echo 'kexec-tools kexec-tools/load_kexec boolean false' | debconf-set-selections
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $absent >/dev/null
    fi
fi
apt-cache stats >/dev/null   # builds the package cache once, before the parallel apt-gets read it
say "host packages and apt cache ready in $(since "$t") s"

# Still the host's part: make-arch-dump.sh tests `dpkg --print-foreign-architectures | grep -qx ARCH` under pipefail: when grep
# exits first, dpkg's SIGPIPE fails the test and the maker adds the architecture again. Two makers doing that
# side by side race on /var/lib/dpkg/arch ("error installing new file", seen on a fresh machine). The makers
# find this dpkg first on PATH: it makes an --add-architecture of an architecture that is there a no-op and
# runs every other --add-architecture under one lock.
mkdir -p "$work/shim"
cat > "$work/shim/dpkg" <<'SHIM'
#!/bin/bash
if [ "${1-}" = --add-architecture ] && [ $# = 2 ]; then
    have=$(/usr/bin/dpkg --print-foreign-architectures)
    grep -qx -- "$2" <<<"$have" && exit 0
    exec flock /var/lib/dpkg/vmcorefs-add-architecture.lock /usr/bin/dpkg "$@"
fi
exec /usr/bin/dpkg "$@"
SHIM
chmod +x "$work/shim/dpkg"
export PATH="$work/shim:$PATH"

# 3. Downloads and extractions, one background job per set. x86_64: the debug vmlinux only. make-guest-dump.sh
# extracts it by reading the whole -dbg package (~2 min of xz); it is the package's 11th member, so stop there.
x86_kver() {
    apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -1
}
prepare_x86() {
    local kver=$1 kdir=$dir/kernel/$1 tmp deb
    [ -s "$kdir/vmlinux-$kver" ] && return 0
    mkdir -p "$kdir" "$dir/debs"; chown _apt "$dir/debs" 2>/dev/null || true
    tmp=$(mktemp -d "$dir/debs/vmlinux.XXXXXX")
    chown _apt "$tmp" 2>/dev/null || true
    (cd "$tmp" && apt-get download -qq "linux-image-$kver-dbg")
    deb=$(ls "$tmp"/linux-image-"$kver"-dbg_*.deb)
    echo "extracting vmlinux-$kver from $(basename "$deb") ($(du -h "$deb" | cut -f1))"
    # tar stops after the one member; dpkg-deb then dies of SIGPIPE
    dpkg-deb --fsys-tarfile "$deb" 2>/dev/null | tar -x -C "$tmp" --occurrence=1 "./usr/lib/debug/boot/vmlinux-$kver" || true
    [ -s "$tmp/usr/lib/debug/boot/vmlinux-$kver" ] || { echo "vmlinux-$kver not found in $deb"; return 1; }
    mv "$tmp/usr/lib/debug/boot/vmlinux-$kver" "$kdir/vmlinux-$kver"
    rm -rf "$tmp"
}
# The makers fetch each package with its own `apt-get download` (about 150 in all, 1-5 s each even with the
# package cache, far more on a busy machine); one apt-get download per architecture fetches them side by side.
# They are the target's packages that make-arch-dump.sh (busybox-static, kexec-tools) and setup-*-tools.sh (crash,
# makedumpfile, kexec-tools) unpack, with their run-time dependencies as those scripts resolve them; each script
# still fetches, one by one, whatever this left out.
prefetch_debs() {  # prefetch_debs DEBARCH DIR PKG...
    local a=$1 d=$2 p names want=""; shift 2
    names=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
              --no-enhances $(printf "%s:$a " "$@") 2>/dev/null \
            | sed -n "s/^ *\(Pre\)\{0,1\}Depends: \([^<>: ]*\):$a\$/\2/p; s/^\([^<>: ]*\):$a\$/\1/p" \
            | grep -vE '^(debconf|cdebconf|perl|perl-base|perl-modules.*|binutils.*|libbinutils|libctf.*|libgprofng.*|libjansson4|libperl.*|dpkg|tar|base-files)$' \
            | sort -u)
    for p in $names; do ls "$d/${p}"_*_"$a".deb >/dev/null 2>&1 || want="$want $p:$a"; done
    [ -n "$want" ] || return 0
    echo "fetching $(echo $want | wc -w) $a packages in one apt-get download"
    # shellcheck disable=SC2086
    (cd "$d" && apt-get download -qq $want) || echo "(that apt-get download failed: the makers fetch them one by one)"
}
prepare_arch() {
    local a=$1 debarch=$1 debdir=$archdir/debs
    case $a in ppc64le) debarch=ppc64el ;; i386) debdir=$archdir/i386/debs ;; esac   # i386 keeps its own debs/
    mkdir -p "$debdir"; chown _apt "$debdir" 2>/dev/null || true
    prefetch_debs "$debarch" "$debdir" busybox-static kexec-tools crash makedumpfile
    if need_dumps "$a"; then
        ARCH=$a CACHE=$archdir MODES=prepare WANT_KEXEC=1 bash "$arch_maker"
    fi
    if need_tools "$a"; then
        echo "setting up $a's own crash/makedumpfile/vmcore-dmesg in $archdir/$a/bin"
        if [ "$a" = i386 ]; then CACHE=$archdir bash "$tools_dir/setup-i386-tools.sh"
        else CACHE=$archdir bash "$tools_dir/setup-native-tools.sh" "$a"; fi
    fi
}
nice_prepare() { renice -n 10 -p $BASHPID >/dev/null; "$@"; }
x86_kernel=""
declare -A prep_pid prep_start
for m in $missing; do
    prep_start[$m]=$(date +%s)
    if [ "$m" = x86_64 ]; then
        x86_kernel=$(x86_kver)
        [ -n "$x86_kernel" ] || { say "cannot resolve linux-image-amd64 to a versioned kernel package"; exit 1; }
    fi
    # niced: the boots are the critical path, the preparations fill the time they leave
    (
        if [ "$m" = x86_64 ]; then nice_prepare prepare_x86 "$x86_kernel"; else nice_prepare prepare_arch "$m"; fi
        date +%s > "$work/prepared-$m"
    ) >"$work/prepare-$m.log" 2>&1 &
    prep_pid[$m]=$!
    jobs_started="$jobs_started $!"
done
say "preparing $(echo $missing) side by side (downloads, extractions, tools)"

# 4. The boots, one at a time, each set once its preparation is done. A guest that hangs (ppc64le's capture kernel,
# twice in three fresh runs, then in 5 of 7 boots on another fresh machine, with POWER9 or POWER8 alike: it finds
# its disk, then spins without printing VMCORE-SIZE) is killed after $qemu_timeout s, not make-arch-dump.sh's
# 900, and is tried up to three more times, each boot limited to $retry_timeout s. A good QEMU run takes 15-75 s
# here (ppc64le's kdump 15-40 s); the longest seen is 217 s (arm64's kdump, on a machine shared by ~7 sessions).
qemu_timeout=${VMCOREFS_FIXTURE_QEMU_TIMEOUT:-180}
retry_timeout=${VMCOREFS_FIXTURE_RETRY_TIMEOUT:-120}
# ppc64le's boots take 12-40 s when they do not hang, and its capture kernel hangs in most fresh runs (6 of 8 so
# far): each of its tries is limited to 100 s, so that a hang costs 100 s, not 180.
ppc64le_timeout=${VMCOREFS_FIXTURE_PPC64LE_TIMEOUT:-100}
failed=""
for m in $missing; do
    rc=0; wait "${prep_pid[$m]}" || rc=$?
    sed "s/^/  [prepare $m] /" "$work/prepare-$m.log" >&2
    if [ "$rc" != 0 ]; then
        # once more, alone: what failed side by side (a download, a lock) may well pass now
        say "$m: preparing failed (exit $rc), see above; once more, alone"
        rc=0
        if [ "$m" = x86_64 ]; then prepare_x86 "$x86_kernel" || rc=$?; else prepare_arch "$m" || rc=$?; fi
        if [ "$rc" != 0 ]; then say "$m: preparing failed again (exit $rc)"; failed="$failed $m"; continue; fi
        date +%s > "$work/prepared-$m"
    fi
    prep_done=$(date +%s)
    say "$m: prepared (downloads, extractions, tools) in $(( $(cat "$work/prepared-$m") - prep_start[$m] )) s"
    # x86_64 once more; another set up to three more times, each boot then limited to $retry_timeout s.
    modes=""; limit=$qemu_timeout; tries=4; [ "$m" = x86_64 ] && tries=2
    [ "$m" = ppc64le ] && limit=$ppc64le_timeout
    for try in $(seq "$tries"); do
        rc=0
        if [ "$m" = x86_64 ]; then
            say "making real x86_64 dumps in $dir with $maker (takes minutes)"
            KVER=$x86_kernel VMCORE_FIXTURES=$dir bash "$maker" || rc=$?
        elif need_dumps "$m"; then
            say "making real $m dumps in $archdir/$m with $arch_maker (takes minutes)${modes:+, only $modes}"
            env ARCH=$m CACHE=$archdir QEMU_TIMEOUT=$limit BOOT_TIMEOUT=$limit ${modes:+MODES=$modes} \
                bash "$arch_maker" || rc=$?
        fi
        [ "$rc" != 0 ] && [ "$try" != "$tries" ] || break
        # Where the crashed guest's own dumps are there already and only the capture kernel hung (ppc64le's,
        # in 5 of 7 boots on a fresh machine here), only the kdump boot is redone: it is a boot of its own anyway.
        [ "$m" = ppc64le ] || limit=$retry_timeout
        [ "$m" != x86_64 ] && [ "$m" != s390x ] && [ -s "$archdir/$m/guest.elf" ] && [ -s "$archdir/$m/guest.kdump" ] && modes=kdump
        say "$m: making the dumps failed (exit $rc); again (a TCG guest now and then hangs, see README)"
    done
    if [ "$rc" != 0 ]; then say "$m: making the dumps failed (exit $rc)"; failed="$failed $m"; continue; fi
    say "$m fixtures made in $(( $(date +%s) - prep_start[$m] )) s (boots and dumps $(since "$prep_done") s)"
done
jobs_started=""
if [ -n "$failed" ]; then
    say "FAILED:$failed (after $(since "$T0") s)"
    exit 1
fi
say "all of $(echo $missing) made in $(since "$T0") s"
