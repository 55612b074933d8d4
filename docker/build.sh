#!/usr/bin/env bash
# Builds the yiyi image (yiyi:latest) FROM scratch from this checkout:
# statically linked yiyi-node and yiyi, a non-root user (10001), and
# empty /data and /shared for the volumes.
#
#   docker/build.sh [TAG]
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-yiyi:latest}"
bin=$(scripts/build-static)

context="target/docker-context"
rm -rf "$context"
mkdir -p "$context"/{etc,bin,data,shared}
for binary in yiyi-node yiyi; do
  cp "$bin/$binary" "$context/bin/"
  strip "$context/bin/$binary" 2>/dev/null || true
  # A dynamically linked binary names its loader; a scratch image has none.
  if readelf -l "$context/bin/$binary" | grep -q "program interpreter"; then
    echo "error: $binary is dynamically linked: it would not start FROM scratch" >&2
    exit 1
  fi
done
echo "yiyi:x:10001:10001:yiyi node:/data:/bin/yiyi-node" > "$context/etc/passwd"
echo "yiyi:x:10001:" > "$context/etc/group"
cp docker/Dockerfile "$context/"

echo "== building the image $tag"
docker build -q -t "$tag" "$context"
docker image ls "$tag" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
