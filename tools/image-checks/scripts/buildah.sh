#!/usr/bin/env bash
# buildah with the image check's own storage, outside the repository and apart from any other
# buildah or podman user of the machine:
#   tools/image-checks/scripts/buildah.sh images
# Storage: $MCP_IMAGE_CHECKS_DIR (default /var/lib/mcp-image-checks)/storage, kept between runs (the
# stand-in base and the layer cache). Driver: overlay (native kernel mounts, root); vfs, which copies
# the whole filesystem for every layer (tens of GB, 10–30 min builds), only where overlay cannot
# mount. The choice is probed once and kept in storage-driver, as storage cannot change driver.
set -euo pipefail
state="${MCP_IMAGE_CHECKS_DIR:-/var/lib/mcp-image-checks}"
sudo_=()
[ "$(id -u)" -eq 0 ] || sudo_=(sudo -n)
# Its temporary files and the RUN --mount=type=cache directories (npm ci's cache) are kept there too.
base=("${sudo_[@]}" env TMPDIR="$state/tmp" buildah --root "$state/storage" --runroot "$state/run")
"${sudo_[@]}" mkdir -p "$state/tmp"
if [ ! -s "$state/storage-driver" ]; then
  driver=vfs
  if probe="$("${base[@]}" --storage-driver overlay from scratch 2>/dev/null)"; then
    "${base[@]}" --storage-driver overlay mount "$probe" >/dev/null 2>&1 && driver=overlay
    "${base[@]}" --storage-driver overlay rm "$probe" >/dev/null 2>&1 || true
  fi
  if [ "$driver" = vfs ]; then
    echo "buildah.sh: overlay mounts fail here; using the vfs storage driver (slow, large: a full copy per layer)" >&2
    "${sudo_[@]}" rm -rf "$state/storage" "$state/run"
  fi
  echo "$driver" | "${sudo_[@]}" tee "$state/storage-driver" >/dev/null
fi
exec "${base[@]}" --storage-driver "$(cat "$state/storage-driver")" "$@"
