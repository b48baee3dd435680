#!/usr/bin/env bash
# Lays out what Jib adds on top of the base (dist/image/pom.xml): the distribution tarball
# unpacked into TARGET/rootfs/opt/gantry, the image's default configuration in
# TARGET/rootfs/etc/gantry/gantry.conf, and an empty TARGET/classes (Jib wants it to exist).
#
#   dist/image/stage-rootfs.sh dist/target/gantry-VERSION.tar.gz dist/image/target
set -euo pipefail
tarball=${1:?usage: stage-rootfs.sh TARBALL TARGET}
target=${2:?usage: stage-rootfs.sh TARBALL TARGET}
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$tarball" ] || { echo "stage-rootfs: FAILED: no $tarball; build dist first (mvn -B package -Pimage from the root)" >&2; exit 1; }
rootfs=$target/rootfs
rm -rf "$rootfs"
mkdir -p "$rootfs/opt/gantry" "$rootfs/etc/gantry" "$target/classes"
tar xzf "$tarball" -C "$rootfs/opt/gantry" --strip-components=1
# Not needed in an image: the systemd unit. conf/ stays (recipes to copy from).
rm -rf "$rootfs/opt/gantry/systemd"
cp "$here/gantry.conf" "$rootfs/etc/gantry/gantry.conf"
