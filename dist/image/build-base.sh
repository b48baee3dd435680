#!/usr/bin/env bash
# Builds the base of gantry's OCI image without pulling anything from a registry: glibc and its
# friends from Debian packages, busybox for a shell (bin/gantry is a POSIX sh script), and a Java
# runtime jlinked from the local JDK with just the modules gantry's jars use. Result: a
# `docker save`-format archive, which is what Jib's `tar://` base reads (it does not read OCI
# archives), copied to OUT.
#
#   dist/image/build-base.sh LIB_DIR OUT.tar     # LIB_DIR: the distribution's lib/ (for jdeps)
#
# Idempotent: the archive is cached under ${GANTRY_IMAGE_CACHE:-~/.cache/gantry-image}, keyed by
# this script, the JDK's release file, the Debian package versions and the Java modules needed;
# a second run with the same inputs copies the cached file (~1 s). Reproducible: file times,
# owners and the image's created time are fixed, so the same inputs give the same bytes.
# Needs root (chroot, file owners), apt-get, dpkg-deb, jlink/jdeps, umoci and skopeo.
set -euo pipefail
lib=$(cd "${1:?usage: build-base.sh LIB_DIR OUT.tar}" && pwd)
out=${2:?usage: build-base.sh LIB_DIR OUT.tar}
here=$(cd "$(dirname "$0")" && pwd)
cache=${GANTRY_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gantry-image}
fail() { echo "build-base: FAILED: $*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb chroot umoci skopeo sha256sum; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install -y umoci skopeo)"
done
[ "$(id -u)" = 0 ] || fail "needs root (chroot and file owners in the image)"
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
[ -x "$java_home/bin/jlink" ] || fail "no jlink in $java_home (set JAVA_HOME to a JDK >= 17)"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9   # concurrent builds wait instead of racing on the same cache entry

# The image's user: not root, and a uid no host account is likely to have.
uid=10001
# Package versions come from the apt index, so the key changes when Debian ships an update.
packages=(libc6 libgcc-s1 libstdc++6 zlib1g busybox-static coreutils)
candidates() {
  local p v
  for p in "${packages[@]}"; do
    v=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: //p')
    [ -n "$v" ] && [ "$v" != "(none)" ] || return 1
    echo "$p=$v"
  done
}
# A machine whose package lists were cleaned (container images often are) needs one update.
versions=$(candidates) || { apt-get update -qq >/dev/null && versions=$(candidates); } \
  || fail "apt knows no candidate for one of ${packages[*]}"


# The modules gantry's jars need (jdeps takes ~10 s, so it is cached by the jar list), plus
# those only reached through service loading, which jdeps cannot see: EC keys and curves for
# TLS (jdk.crypto.ec), the extra charsets, the zip file system.
jars_key=$(ls -l "$lib"/*.jar | awk '{print $5, $9}' | sed "s:$lib/::" | sha256sum | cut -c1-16)
modules_file=$cache/modules-$jars_key
if [ ! -s "$modules_file" ]; then
  "$java_home/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 17 -q "$lib"/*.jar \
    >"$modules_file.tmp" || fail "jdeps failed on $lib"
  mv "$modules_file.tmp" "$modules_file"
fi
modules="$(cat "$modules_file"),jdk.crypto.ec,jdk.charsets,jdk.zipfs"

key=$( { cat "$0"; cat "$java_home/release"; echo "$versions"; echo "$modules"; } | sha256sum | cut -c1-16)
archive=$cache/gantry-base-$key.tar
if [ -s "$archive" ]; then
  echo "build-base: cached $archive"
else
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  root=$work/rootfs
  mkdir -p "$root" "$work/debs"
  echo "build-base: Debian packages: $(echo "$versions" | tr '\n' ' ')"
  (cd "$work/debs" && apt-get download -qq -o APT::Sandbox::User=root $(echo "$versions") >/dev/null) || fail "apt-get download failed"
  for deb in "$work"/debs/*.deb; do
    case $(basename "$deb") in
      coreutils_*)  # only cksum, which bin/gantry uses to name its CDS archive
        mkdir -p "$work/coreutils"; dpkg-deb -x "$deb" "$work/coreutils"
        install -D -m 755 "$work/coreutils/usr/bin/cksum" "$root/usr/bin/cksum" ;;
      *) dpkg-deb -x "$deb" "$root" ;;
    esac
  done
  # Debian 12 is merged-/usr: /bin, /lib and /lib64 are links into /usr.
  for d in bin sbin lib lib64; do
    mkdir -p "$root/usr/$d"
    if [ -d "$root/$d" ] && [ ! -L "$root/$d" ]; then cp -a "$root/$d/." "$root/usr/$d/"; rm -rf "${root:?}/$d"; fi
    ln -sfn "usr/$d" "$root/$d"
  done
  rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/lintian" "$root/usr/share/locale" \
    "$root/usr/share/info" "$root/usr/share/bug"
  [ -x "$root/bin/busybox" ] || fail "busybox-static did not provide /bin/busybox"
  chroot "$root" /bin/busybox --install -s /bin
  ln -sfn /bin/busybox "$root/bin/sh"

  # No --generate-cds-archive: JDK 17's CDS dump differs from run to run (also with ASLR off), and
  # the base would no longer be the same bytes for the same inputs.
  "$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress=2 --output "$root/opt/java" || fail "jlink failed"

  mkdir -p "$root/etc" "$root/tmp" "$root/etc/gantry" "$root/opt/gantry/run" "$root/home/gantry"
  cat >"$root/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/sbin/nologin
gantry:x:$uid:$uid:gantry:/home/gantry:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
PASSWD
  cat >"$root/etc/group" <<GROUP
root:x:0:
gantry:x:$uid:
nogroup:x:65534:
GROUP
  echo "hosts: files dns" >"$root/etc/nsswitch.conf"
  chmod 1777 "$root/tmp"
  # gantry's PID/admin files land in /opt/gantry/run when the config's directory is read-only.
  chown "$uid:$uid" "$root/opt/gantry/run" "$root/home/gantry"
  # Fixed times: the layer is the same bytes for the same inputs.
  find "$root" -exec touch -h -d @0 {} +

  umoci init --layout "$work/oci" >/dev/null
  umoci new --image "$work/oci:base" >/dev/null
  umoci unpack --image "$work/oci:base" "$work/bundle" >/dev/null
  cp -a "$root/." "$work/bundle/rootfs/"
  umoci repack --image "$work/oci:base" --history.created 1970-01-01T00:00:00Z \
    --history.created_by "dist/image/build-base.sh" "$work/bundle" >/dev/null
  umoci config --no-history --image "$work/oci:base" --created 1970-01-01T00:00:00Z \
    --config.env PATH=/opt/java/bin:/usr/bin:/bin --config.env JAVA_HOME=/opt/java \
    --config.env LANG=C.UTF-8 --config.workingdir / --config.stopsignal SIGTERM \
    --config.label "org.opencontainers.image.description=gantry base: Debian 12 glibc, busybox, jlinked Java" \
    >/dev/null
  skopeo copy -q "oci:$work/oci:base" "docker-archive:$work/base.tar:gantry-base:$key" >/dev/null \
    || fail "skopeo could not write the docker-archive"
  mv "$work/base.tar" "$archive"
  echo "build-base: built $archive ($(du -h "$archive" | cut -f1))"
fi
mkdir -p "$(dirname "$out")"
cp "$archive" "$out"
