#!/usr/bin/env bash
# Finishes and checks the image Jib wrote (dist/image/pom.xml):
#  1. sets STOPSIGNAL SIGTERM (Jib has no setting for it; SIGTERM is what gantry drains on),
#  2. writes OUT, an OCI archive with the reference gantry:VERSION (skopeo oci-archive:, podman load),
#  3. validates it: every blob's digest and size as the index and manifest say, the media types,
#     the config's rootfs.diff_ids against the uncompressed layers, and the facts the image
#     promises (user 10001, entrypoint, stop signal, labels, /opt/gantry layout).
#
#   dist/image/finish-image.sh target/jib-image.tar target/gantry-image.tar VERSION
set -euo pipefail
in=${1:?usage: finish-image.sh JIB_TAR OUT_TAR VERSION}
out=${2:?usage: finish-image.sh JIB_TAR OUT_TAR VERSION}
version=${3:?usage: finish-image.sh JIB_TAR OUT_TAR VERSION}
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "finish-image: FAILED: $*" >&2; exit 1; }
for tool in umoci skopeo python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install -y umoci skopeo python3)"
done
[ -f "$in" ] || fail "no $in (Jib's buildTar writes it)"

work=$(mktemp -d "${TMPDIR:-/tmp}/gantry-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
skopeo copy -q "oci-archive:$in" "oci:$work/oci:gantry" >/dev/null
umoci config --no-history --image "$work/oci:gantry" --config.stopsignal SIGTERM >/dev/null
rm -f "$out"
skopeo copy -q "oci:$work/oci:gantry" "oci-archive:$out:gantry:$version" >/dev/null

mkdir "$work/check"
tar xf "$out" -C "$work/check"
python3 "$here/check-image.py" "$work/check" "$version" || fail "$out does not validate (above)"
echo "finish-image: $out ($(du -h "$out" | cut -f1)), validated"
