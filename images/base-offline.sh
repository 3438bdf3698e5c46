#!/usr/bin/env bash
# Makes the Dockerfile's base image (node:20-bookworm-slim by default) when it
# is missing and no registry answers: a Debian bookworm minbase from
# mmdebstrap (Debian's archive only) plus the Node.js (and npm) that runs
# mk8s on this machine, installed where the official image has them
# (/usr/local/bin/node, /usr/local/lib/node_modules/npm). It is a stand-in
# with the official name, so the Dockerfile stays the conventional one and
# nothing in the compose path needs a registry afterwards.
#   images/base-offline.sh            # make it if needed (no-op when present or pullable)
#   images/base-offline.sh --force    # remake it
# Needs root (mmdebstrap), docker, and a Node 20 on the PATH.
set -euo pipefail
image="${MK8S_BASE_IMAGE:-node:20-bookworm-slim}"
force=0
[ "${1:-}" = "--force" ] && force=1

say() { echo "base-offline: $*" >&2; }

if [ "$force" = 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
  say "$image is present"
  exit 0
fi
if [ "$force" = 0 ] && timeout 60 docker pull -q "$image" >/dev/null 2>&1; then
  say "pulled $image"
  exit 0
fi
say "$image is missing and cannot be pulled: making a stand-in from Debian packages"

command -v mmdebstrap >/dev/null || { say "needs mmdebstrap (apt-get install -y mmdebstrap)"; exit 1; }
node_bin="$(command -v node || true)"
[ -n "$node_bin" ] || { say "needs a Node.js on the PATH (the one that runs mk8s)"; exit 1; }
node_bin="$(readlink -f "$node_bin")"
major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
want="$(echo "$image" | sed -n 's/^node:\([0-9]*\).*/\1/p')"
[ -z "$want" ] || [ "$major" = "$want" ] || { say "the image is Node $want but $node_bin is Node $major"; exit 1; }
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
npm_dir="$(readlink -f "$npm_dir")"
[ -f "$npm_dir/package.json" ] || { say "cannot find npm's folder (from $(command -v npm))"; exit 1; }

# The host's node binary must run on bookworm's libraries: only libc/libstdc++ (nodesource's, the official one's).
if ldd "$node_bin" | grep -qE 'libnode|libuv|libicu'; then
  say "$node_bin is linked to shared libnode/libuv/libicu (Debian's nodejs): use the nodejs from nodejs.org or nodesource"; exit 1
fi

mirror="${MK8S_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
work="$(mktemp -d /tmp/mk8s-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# The official image's layout: node and npm under /usr/local, ca-certificates for npm's TLS.
cat >"$work/setup.sh" <<SETUP
set -e
root="\$1"
install -D -m 0755 "$node_bin" "\$root/usr/local/bin/node"
mkdir -p "\$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "\$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "\$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "\$root/usr/local/bin/npx"
# The CAs this machine adds to Debian's (e.g. a TLS-inspecting proxy's), so apt and npm in builds trust what the host trusts.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  cp /usr/local/share/ca-certificates/*.crt "\$root/usr/local/share/ca-certificates/"
  chroot "\$root" update-ca-certificates >/dev/null
fi
rm -rf "\$root/var/lib/apt/lists/"* "\$root/var/cache/apt/"*.bin
SETUP
# Node (and npm) read the system store's extra CAs only through this variable.
extra_ca=()
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then extra_ca=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'); fi
started=$(date +%s)
mmdebstrap --variant=minbase --include=ca-certificates --format=tar \
  --customize-hook="sh $work/setup.sh \"\$1\"" \
  bookworm "$work/rootfs.tar" "deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb http://deb.debian.org/debian-security bookworm-security main" >&2
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$("$node_bin" -p process.versions.node)" \
  --change 'CMD ["node"]' \
  --change 'LABEL io.mk8s.base-offline=true' \
  "${extra_ca[@]}" \
  "$work/rootfs.tar" "$image" >/dev/null
say "made $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%d MB", $1/1e6}')) in $(( $(date +%s) - started )) s"
