#!/usr/bin/env bash
# Scripts/release.sh: builds the kubeharden binary that CI downloads (the GitHub Action's
# `version:` input), packs it with a checksum, and checks that it runs without Swift installed.
#
#   bash Scripts/release.sh [--version V] [--out DIR]
#   bash Scripts/release.sh --check BINARY     # only the self-containment check
#
#   --version V  the version in the tarball's name (default: KubeHardenCommand.version)
#   --out DIR    where the tarball and its checksum go (default dist/)
#
# Writes DIR/kubeharden-V-OS-ARCH.tar.gz (the binary `kubeharden`, README.md) and
# DIR/kubeharden-V-OS-ARCH.tar.gz.sha256 (`sha256sum` format), with OS linux|macos and ARCH
# x86_64|arm64: the names action.yml downloads.
#
# Linux: `swift build -c release --static-swift-stdlib`, libyaml linked statically (libyaml.a
# from libyaml-dev), and the binary stripped. It then needs only the C libraries every runner has
# (libc, libstdc++, libm, and libcurl, which Foundation's URLSession uses for `kubeharden review`).
# The check runs the binary under `env -i` with LD_LIBRARY_PATH pointing at an empty folder, and
# fails if `ldd` lists a Swift library (libswift*, libFoundation*, libdispatch, libBlocksRuntime)
# or libyaml. macOS: the Swift runtime is part of the system; libyaml is linked statically when
# Homebrew's libyaml.a is there.
#
# Exit status: 0 built and checked; 1 the build or the check failed; 2 a usage error or a
# missing prerequisite (the message says which).

set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "release: $1" >&2; exit "${2:-1}"; }

version=""
out="dist"
check_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version) [ $# -ge 2 ] || die "--version needs a value" 2; version="$2"; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a value" 2; out="$2"; shift 2 ;;
    --check) [ $# -ge 2 ] || die "--check needs a binary" 2; check_only="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 2 ;;
  esac
done

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=macos ;;
  *) die "unsupported system $(uname -s): build from source with 'swift build -c release'" 2 ;;
esac
case "$(uname -m)" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) die "unsupported machine $(uname -m)" 2 ;;
esac

# The binary must start without the Swift runtime libraries and without libyaml.
check() {
  local binary="$1"
  [ -x "$binary" ] || die "no executable at $binary"
  if [ "$os" = linux ]; then
    local libraries
    libraries=$(ldd "$binary" 2>&1) || die "ldd $binary failed: $libraries"
    echo "release: ldd $binary:"
    echo "$libraries" | sed 's/^/  /'
    if echo "$libraries" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|lib_FoundationICU|libyaml' >/dev/null; then
      die "$binary still needs a Swift library or libyaml (above)"
    fi
    if echo "$libraries" | grep 'not found' >/dev/null; then die "$binary needs a library that is not installed (above)"; fi
  else
    otool -L "$binary" | sed 's/^/  /'
    if otool -L "$binary" | grep -E 'libyaml|/usr/local/|/opt/homebrew/' >/dev/null; then
      die "$binary needs a Homebrew library (above)"
    fi
  fi
  local empty expected actual status
  empty=$(mktemp -d)
  expected=$(mktemp)
  actual=$(mktemp)
  # shellcheck disable=SC2064
  trap "rm -rf '$empty' '$expected' '$actual'" RETURN
  # A fixed manifest is fixed again to itself; the example is not fixed yet: diff exits 1.
  status=0
  env -i LD_LIBRARY_PATH="$empty" PATH=/usr/bin:/bin "$binary" fix - < Examples/deployment.yaml > "$expected" || status=$?
  [ "$status" = 0 ] || die "'$binary fix -' in an empty environment exited $status"
  env -i LD_LIBRARY_PATH="$empty" PATH=/usr/bin:/bin "$binary" fix - < "$expected" > "$actual"
  cmp -s "$expected" "$actual" || die "'$binary fix' is not idempotent on Examples/deployment.yaml"
  cmp -s "$expected" Examples/deployment.yaml && die "'$binary fix' changed nothing in Examples/deployment.yaml"
  status=0
  env -i LD_LIBRARY_PATH="$empty" PATH=/usr/bin:/bin "$binary" diff --color never Examples/deployment.yaml > /dev/null || status=$?
  [ "$status" = 1 ] || die "'$binary diff' in an empty environment exited $status, not 1"
  env -i LD_LIBRARY_PATH="$empty" PATH=/usr/bin:/bin "$binary" review --help > /dev/null || die "'$binary review --help' failed"
  echo "release: $binary runs without the Swift runtime (env -i, empty LD_LIBRARY_PATH)"
}

if [ -n "$check_only" ]; then
  check "$check_only"
  exit 0
fi

command -v swift >/dev/null || die "swift is not on PATH" 2
if [ -z "$version" ]; then
  version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/kubeharden/KubeHarden.swift)
  [ -n "$version" ] || die "cannot read the version from Sources/kubeharden/KubeHarden.swift; pass --version" 2
fi

# A folder searched before the system's: libyaml.a alone, so the linker takes the static
# library (it prefers a .so in the same folder), and on Linux libcurl.so for Foundation's
# networking when only the runtime's libcurl.so.4 is installed (no libcurl*-dev).
link=".build/release-link"
rm -rf "$link"
mkdir -p "$link"
libdir=$(pkg-config --variable=libdir yaml-0.1 2>/dev/null || true)
static_yaml=""
for candidate in "$libdir/libyaml.a" /usr/lib/x86_64-linux-gnu/libyaml.a /usr/lib/aarch64-linux-gnu/libyaml.a \
  /opt/homebrew/lib/libyaml.a /usr/local/lib/libyaml.a /usr/lib/libyaml.a; do
  if [ -f "$candidate" ]; then static_yaml="$candidate"; break; fi
done
[ -n "$static_yaml" ] || die "libyaml.a not found (pkg-config yaml-0.1 libdir: '${libdir:-none}'): install libyaml-dev (apt) or libyaml (brew); the release binary links libyaml statically so that runners need not install it" 2
ln -s "$static_yaml" "$link/libyaml.a"
# The compiler driver names the system library folders before ours, where libyaml.so wins:
# a yaml-0.1.pc of our own, found first through PKG_CONFIG_PATH, names the archive itself.
cat > "$link/yaml-0.1.pc" <<PC
Name: LibYAML
Description: libyaml, linked statically for the release binary
Version: $(pkg-config --modversion yaml-0.1 2>/dev/null || echo 0.2.5)
Cflags: $(pkg-config --cflags yaml-0.1 2>/dev/null)
Libs: $PWD/$link/libyaml.a
PC
export PKG_CONFIG_PATH="$PWD/$link${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
flags=(-c release --product kubeharden -Xlinker -L"$PWD/$link")
if [ "$os" = linux ]; then
  flags+=(--static-swift-stdlib)
  if ! ls /usr/lib/*/libcurl.so /usr/lib/libcurl.so >/dev/null 2>&1; then
    curl_runtime=$(ls /usr/lib/*/libcurl.so.4 /lib/*/libcurl.so.4 2>/dev/null | head -n 1 || true)
    [ -n "$curl_runtime" ] || die "libcurl not found: install libcurl4 (URLSession needs it)" 2
    ln -s "$curl_runtime" "$link/libcurl.so"
  fi
fi

echo "release: swift build ${flags[*]}"
swift build "${flags[@]}"
bin="$(swift build -c release --show-bin-path)/kubeharden"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$bin" "$stage/kubeharden"
if command -v strip >/dev/null; then strip "$stage/kubeharden"; fi
cp README.md "$stage/README.md"
check "$stage/kubeharden"

mkdir -p "$out"
name="kubeharden-$version-$os-$arch.tar.gz"
tar -C "$stage" -czf "$out/$name" kubeharden README.md
if command -v sha256sum >/dev/null; then
  (cd "$out" && sha256sum "$name" > "$name.sha256")
else
  (cd "$out" && shasum -a 256 "$name" > "$name.sha256")
fi
size=$(wc -c < "$stage/kubeharden" | tr -d ' ')
echo "release: $out/$name ($(wc -c < "$out/$name" | tr -d ' ') bytes; binary $size bytes) and $name.sha256"
