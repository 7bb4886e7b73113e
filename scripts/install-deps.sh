#!/usr/bin/env bash
# Installs what vmcorefs needs to build, mount and be tested, from Debian's packages, where missing.
# Run as root (CI and developer machines are root); as another user it only reports what is missing.
set -euo pipefail
pkgs=(openjdk-17-jdk-headless maven fuse3 libfuse2 binutils gdb gdb-multiarch crash python3-drgn
      makedumpfile kexec-tools python3-libkdumpfile bindfs fio busybox-static util-linux procps
      gcc pkg-config libfuse-dev libfuse3-dev kdump-tools fonts-dejavu-core librsvg2-bin)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages (run as root to install): ${missing[*]}" >&2
    exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
# kexec-tools must not arrange for this machine to kexec on reboot.
echo 'kexec-tools kexec-tools/load_kexec boolean false' | debconf-set-selections
# kdump-tools (for its kdump-config savecore, run against a mount by the tests) must not enable kdump here:
# USE_KDUMP=0, and no crashkernel= added to this machine's boot loader (its grub snippet is not installed).
echo 'kdump-tools kdump-tools/use_kdump boolean false' | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    -o DPkg::Options::=--path-exclude=/etc/default/grub.d/kdump-tools.cfg "${missing[@]}" >/dev/null
