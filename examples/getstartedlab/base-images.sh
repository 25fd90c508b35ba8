#!/usr/bin/env bash
# Makes the lab's base images offline, from Debian packages, in place of Docker Hub's:
#   flotilla/node-base            Node.js runtime (the app's FROM)
#   flotilla/redis-base + redis   Redis server (Part 5's `image: redis`)
# Each: mmdebstrap (minbase + the package) -> rootfs tar (cached) -> `FROM scratch` + `ADD rootfs.tar /`
# -> `flotilla build`. Only Debian's mirror is needed; reruns reuse the cached tar and the
# engine's build cache.
#
# Usage: base-images.sh [node] [redis] [--rebuild] [--rootfs-only]
#   (no image named: both)  --rebuild: run mmdebstrap again  --rootfs-only: make the tars, no build
# Environment: FLOTILLA (the CLI command; FLOTILLA_HOST picks the daemon), GSL_CACHE (tar cache,
#   default /var/cache/flotilla/getstartedlab), DEBIAN_SUITE (default trixie), DEBIAN_MIRROR and
#   DEBIAN_SECURITY_MIRROR (default: the Debian mirror in this machine's apt sources, else deb.debian.org).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# Outside the app's build context: the tars are big and must not be walked or sent with it.
cache=${GSL_CACHE:-/var/cache/flotilla/getstartedlab}
# trixie: its nodejs is 20 (ioredis 6 and this repository want Node >= 20; bookworm has 18).
suite=${DEBIAN_SUITE:-trixie}
# The machine's own Debian mirror when its apt sources name one (a local mirror or proxy),
# else Debian's CDN.
host_mirror() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -v '^[[:space:]]*#' | grep -oE "https?://[^[:space:]]+/$1/?([[:space:]]|\$)" | head -n 1 | tr -d '[:space:]' | sed 's:/$::' || true
}
mirror=${DEBIAN_MIRROR:-$(host_mirror debian)}
mirror=${mirror:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-$(host_mirror debian-security)}
security=${security:-http://deb.debian.org/debian-security}
read -r -a flotilla <<<"${FLOTILLA:-node $repo/packages/stack-cli/bin/flotilla}"

images=() rebuild=0 build=1
for arg in "$@"; do
  case "$arg" in
    node|redis) images+=("$arg") ;;
    --rebuild) rebuild=1 ;;
    --rootfs-only) build=0 ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "base-images.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
[ ${#images[@]} -gt 0 ] || images=(node redis)

die() { echo "base-images.sh: $*" >&2; exit 1; }
command -v mmdebstrap >/dev/null || die "mmdebstrap not found: apt-get install mmdebstrap"
[ "$(id -u)" = 0 ] || die "mmdebstrap needs root here (it runs in root mode): run with sudo"

# Slim rootfs: no manuals, docs (copyright files stay), translations or info pages.
mmdebstrap_opts=(
  --variant=minbase
  --aptopt='APT::Install-Recommends "false"'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
  --customize-hook='rm -rf "$1"/var/log/* "$1"/var/cache/debconf/*-old "$1"/etc/machine-id'
)
# bookworm still pulls in usrmerge (and perl, ~50 MB) unless /usr is merged up front.
if [ "$suite" = bookworm ] && [ -d /usr/share/mmdebstrap/hooks/merged-usr ]; then
  mmdebstrap_opts+=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
fi
sources=("deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security $suite-security main")

# make_rootfs NAME PACKAGES: $cache/NAME/rootfs.tar, rebuilt only when the recipe changes.
make_rootfs() {
  local name=$1 packages=$2 dir="$cache/$1"
  local recipe="$suite $packages ${mmdebstrap_opts[*]} ${sources[*]}"
  mkdir -p "$dir"
  if [ $rebuild = 0 ] && [ -f "$dir/rootfs.tar" ] && [ "$(cat "$dir/recipe" 2>/dev/null)" = "$recipe" ]; then
    echo "base-images: $name rootfs cached ($(du -h "$dir/rootfs.tar" | cut -f1), $dir/rootfs.tar)"
    return
  fi
  echo "base-images: mmdebstrap $suite + $packages -> $dir/rootfs.tar"
  local start=$SECONDS
  rm -f "$dir/rootfs.tar" "$dir/recipe" "$dir/rootfs.partial.tar"
  mmdebstrap --quiet --format=tar "${mmdebstrap_opts[@]}" --include="$packages" \
    "$suite" "$dir/rootfs.partial.tar" "${sources[@]}" \
    || die "mmdebstrap failed for $name: is $mirror reachable? (set DEBIAN_MIRROR to a reachable Debian mirror)"
  mv "$dir/rootfs.partial.tar" "$dir/rootfs.tar"
  echo "$recipe" >"$dir/recipe"
  echo "base-images: $name rootfs made in $((SECONDS - start)) s, $(du -h "$dir/rootfs.tar" | cut -f1)"
}

# build_image NAME TAG [EXTRA TAG]: the context is the cache dir (the tar, the Dockerfile, extras).
# A label records which rootfs the image holds, so that an up-to-date image is not sent again
# (the build cache would reuse it, but only after streaming the whole tar to the daemon).
build_image() {
  local name=$1 tag=$2 extra=${3:-} dir="$cache/$1" stamp
  stamp=$( { cat "$dir/recipe"; stat -c '%s %Y' "$dir/rootfs.tar"; cat "$here/base-images/$name.Dockerfile"; } | sha256sum | cut -c1-16)
  local inspect
  inspect=$("${flotilla[@]}" image inspect "$tag" 2>/dev/null || true)
  if grep -q "\"$stamp\"" <<<"$inspect"; then
    echo "base-images: $tag is up to date (rootfs $stamp)"
  else
    { cat "$here/base-images/$name.Dockerfile"; echo "LABEL org.flotilla.getstartedlab.rootfs=\"$stamp\""; } >"$dir/Dockerfile"
    [ "$name" != redis ] || cp "$here/base-images/redis-entrypoint.sh" "$dir/docker-entrypoint.sh"
    printf 'recipe\nrootfs.partial.tar\n' >"$dir/.dockerignore"
    (cd "$dir" && "${flotilla[@]}" build -t "$tag" .) \
      || die "flotilla build of $tag failed (is the daemon running? FLOTILLA_HOST=${FLOTILLA_HOST:-unset})"
  fi
  [ -z "$extra" ] || "${flotilla[@]}" tag "$tag" "$extra" || die "flotilla tag $tag $extra failed"
}

for image in "${images[@]}"; do
  case "$image" in
    node)
      make_rootfs node nodejs
      [ $build = 0 ] || build_image node flotilla/node-base ;;
    redis)
      make_rootfs redis redis-server
      [ $build = 0 ] || build_image redis flotilla/redis-base redis:latest ;;
  esac
done
