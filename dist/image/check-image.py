#!/usr/bin/env python3
"""Validates an unpacked OCI image layout (image-spec v1) holding gantry's image, and what the
image promises. Exits 1 listing every problem.

    check-image.py LAYOUT_DIR VERSION

Structure: oci-layout version, index -> manifest -> config and layers by media type, every
blob present with the digest (sha256 of its bytes) and size its descriptor names, the config's
rootfs.diff_ids equal to the sha256 of each uncompressed layer. Content: user 10001, entrypoint
bin/gantry run /etc/gantry/gantry.conf, STOPSIGNAL SIGTERM, the OCI labels, and the files the
entrypoint needs (/opt/gantry/bin/gantry executable, lib/*.jar, /opt/java/bin/java, /bin/sh).
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYERS = ("application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar")

problems = []


def problem(msg):
    problems.append(msg)


def blob(layout, desc, media_types):
    """The bytes of desc's blob, after checking its media type, size and digest."""
    mt = desc.get("mediaType")
    if mt not in media_types:
        problem(f"{desc.get('digest')}: media type {mt} (expected one of {', '.join(media_types)})")
    algo, _, hexdigest = desc.get("digest", "").partition(":")
    if algo != "sha256" or len(hexdigest) != 64:
        problem(f"descriptor digest {desc.get('digest')!r} is not sha256:<64 hex>")
        return None
    path = os.path.join(layout, "blobs", "sha256", hexdigest)
    if not os.path.isfile(path):
        problem(f"blob {desc['digest']} is missing")
        return None
    with open(path, "rb") as f:
        data = f.read()
    if len(data) != desc.get("size"):
        problem(f"blob {desc['digest']}: {len(data)} bytes, descriptor says {desc.get('size')}")
    if hashlib.sha256(data).hexdigest() != hexdigest:
        problem(f"blob {desc['digest']}: content does not match its digest")
    return data


def main(layout, version):
    with open(os.path.join(layout, "oci-layout")) as f:
        if json.load(f).get("imageLayoutVersion") != "1.0.0":
            problem("oci-layout: imageLayoutVersion is not 1.0.0")
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    if index.get("schemaVersion") != 2:
        problem("index.json: schemaVersion is not 2")
    manifests = index.get("manifests", [])
    if len(manifests) != 1:
        problem(f"index.json: {len(manifests)} manifests (expected 1)")
        return
    ref = manifests[0].get("annotations", {}).get("org.opencontainers.image.ref.name")
    if ref != "gantry:" + version:
        problem(f"index.json: reference {ref!r} (expected 'gantry:{version}')")
    manifest = json.loads(blob(layout, manifests[0], (MANIFEST,)) or b"{}")
    if manifest.get("schemaVersion") != 2:
        problem("manifest: schemaVersion is not 2")
    config = json.loads(blob(layout, manifest.get("config", {}), (CONFIG,)) or b"{}")
    for key in ("architecture", "os", "rootfs", "config"):
        if key not in config:
            problem(f"config: no {key}")
    diff_ids = config.get("rootfs", {}).get("diff_ids", [])
    layers = manifest.get("layers", [])
    if len(diff_ids) != len(layers):
        problem(f"config: {len(diff_ids)} diff_ids for {len(layers)} layers")
    files = {}
    for i, desc in enumerate(layers):
        data = blob(layout, desc, LAYERS)
        if data is None:
            continue
        raw = gzip.decompress(data) if desc["mediaType"].endswith("+gzip") else data
        if i < len(diff_ids) and "sha256:" + hashlib.sha256(raw).hexdigest() != diff_ids[i]:
            problem(f"layer {i}: uncompressed digest differs from diff_ids[{i}]")
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            for member in tar:
                files["/" + member.name.lstrip("./")] = member

    c = config.get("config", {})
    expect = {
        "User": "10001:10001",
        "Entrypoint": ["/opt/gantry/bin/gantry", "run", "/etc/gantry/gantry.conf"],
        "StopSignal": "SIGTERM",
    }
    for key, value in expect.items():
        if c.get(key) != value:
            problem(f"config: {key} is {c.get(key)!r} (expected {value!r})")
    labels = c.get("Labels") or {}
    for key, value in {"org.opencontainers.image.version": version,
                       "org.opencontainers.image.licenses": "Apache-2.0"}.items():
        if labels.get(key) != value:
            problem(f"label {key} is {labels.get(key)!r} (expected {value!r})")
    if not labels.get("org.opencontainers.image.source"):
        problem("label org.opencontainers.image.source is missing")

    def has(path, mode=None):
        m = files.get(path)
        if m is None:
            problem(f"{path} is not in the image")
        elif mode is not None and (m.mode & mode) != mode:
            problem(f"{path}: mode {oct(m.mode)} lacks {oct(mode)}")
    has("/opt/gantry/bin/gantry", 0o755)
    has("/etc/gantry/gantry.conf")
    has("/opt/java/bin/java", 0o755)
    if not any(p.startswith("/opt/gantry/lib/proxy-server-") and p.endswith(".jar") for p in files):
        problem("/opt/gantry/lib/proxy-server-*.jar is not in the image")
    if "/bin/sh" not in files and "/usr/bin/sh" not in files:
        problem("no /bin/sh (bin/gantry is a sh script)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: check-image.py LAYOUT_DIR VERSION")
    main(sys.argv[1], sys.argv[2])
    for p in problems:
        print(f"check-image: {p}", file=sys.stderr)
    sys.exit(1 if problems else 0)
