#!/usr/bin/env bash
# Fuzzes kubeharden's YAML parser and fix pipeline with libFuzzer + AddressSanitizer.
#
# Builds Fuzz/FuzzYAML.swift together with the sources of Sources/YAMLSource and
# Sources/KubeHarden as ONE module (a copy under $FUZZ_WORK with their `import YAMLSource`
# lines dropped; the repository is not modified), linked against the system libyaml. This
# build is separate from `swift build`: nothing under Fuzz/ is part of Package.swift.
#
# Environment:
#   FUZZ_SECONDS  time budget for the fuzzing run (default 300)
#   FUZZ_WORK     work directory: build, corpus, artifacts, log (default /tmp/kubeharden-fuzz)
#   FUZZ_JOBS     parallel fuzzing processes (default 1)
#   FUZZ_BUILD_ONLY=1  build the binary and stop
#   FUZZ_FLAGS    extra libFuzzer flags
#   FUZZ_REGRESSIONS  where found inputs are copied (default Fixtures/fuzz-regressions)
#
# Output: $FUZZ_WORK/fuzz.log (libFuzzer log), $FUZZ_WORK/corpus (the grown corpus; keep it
# across runs), $FUZZ_WORK/artifacts (crash-*, timeout-*, oom-*, leak-*). Every artifact is
# minimized and copied, with a note, to Fixtures/fuzz-regressions/. Exit status 1 when the run
# found something, 0 otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${KUBEHARDEN_SHARED:-$ROOT/../shared}"
SECONDS_BUDGET="${FUZZ_SECONDS:-300}"
WORK="${FUZZ_WORK:-/tmp/kubeharden-fuzz}"
JOBS="${FUZZ_JOBS:-1}"
BUILD="$WORK/build"
SEEDS="$WORK/seeds"
CORPUS="$WORK/corpus"
ARTIFACTS="$WORK/artifacts"
LOG="$WORK/fuzz.log"
BIN="$BUILD/fuzz-yaml"
REGRESSIONS="${FUZZ_REGRESSIONS:-$ROOT/Fixtures/fuzz-regressions}"
MAX_LEN=65536

mkdir -p "$BUILD/src" "$SEEDS" "$CORPUS" "$ARTIFACTS"
cd "$ROOT"

# The Swift runtime's crash backtracer reads the crashed process's memory from a helper thread,
# which AddressSanitizer reports as a heap overflow in CrashHandlerLinux.cpp (hiding the real
# report) and which can hang libFuzzer's -minimize_crash. libFuzzer prints the stack itself.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"

if ! pkg-config --exists yaml-0.1 2>/dev/null && [ ! -e /usr/include/yaml.h ]; then
  echo "fuzz.sh: libyaml headers not found (install libyaml-dev)" >&2
  exit 2
fi

# --- build -------------------------------------------------------------------------------
rm -f "$BUILD"/src/*.swift
for dir in Sources/YAMLSource Sources/KubeHarden; do
  while IFS= read -r -d '' file; do
    # One module: the library import between the two targets is not needed (and not allowed).
    flat="$(echo "${file#Sources/}" | tr '/' '_')"
    sed -e 's/^import YAMLSource$//' -e 's/^@_exported import YAMLSource$//' "$file" > "$BUILD/src/$flat"
  done < <(find "$dir" -name '*.swift' -print0)
done
echo "fuzz.sh: building $BIN"
LINKER=()
command -v ld.lld >/dev/null 2>&1 && LINKER=(-use-ld=lld)
swiftc -sanitize=fuzzer,address -parse-as-library -O -g "${LINKER[@]}" \
  -module-name KubeHardenFuzz \
  -I Sources/CLibYAML $(pkg-config --cflags-only-I yaml-0.1 2>/dev/null | sed 's/-I/-Xcc -I/g') \
  $(pkg-config --libs-only-L yaml-0.1 2>/dev/null) -lyaml \
  Fuzz/FuzzYAML.swift "$BUILD"/src/*.swift \
  -o "$BIN"
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && { echo "fuzz.sh: built $BIN"; exit 0; }

# --- seed corpus -------------------------------------------------------------------------
seed() {  # copies every YAML/JSON file under $1 (up to MAX_LEN bytes) into $SEEDS
  [ -d "$1" ] || { echo "fuzz.sh: no seeds at $1 (skipped)"; return 0; }
  local n=0
  while IFS= read -r -d '' file; do
    [ "$(stat -c %s "$file")" -le "$MAX_LEN" ] || continue
    cp "$file" "$SEEDS/$(sha1sum "$file" | cut -c1-40)"
    n=$((n + 1))
  done < <(find "$1" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -print0)
  echo "fuzz.sh: $n seeds from $1"
}
seed "$ROOT/Fixtures"
seed "$SHARED/corpus/dev"
seed "$SHARED/corpus/yaml-test-suite"

# --- run ---------------------------------------------------------------------------------
echo "fuzz.sh: fuzzing for ${SECONDS_BUDGET}s, log in $LOG"
set +e
args=(-max_len=$MAX_LEN -timeout=10 -rss_limit_mb=4096 -max_total_time="$SECONDS_BUDGET"
  -print_final_stats=1 -artifact_prefix="$ARTIFACTS/" -dict="$ROOT/Fuzz/yaml.dict" ${FUZZ_FLAGS:-})
if [ "$JOBS" -gt 1 ]; then
  (cd "$WORK" && "$BIN" "${args[@]}" -jobs="$JOBS" -workers="$JOBS" "$CORPUS" "$SEEDS") > "$LOG" 2>&1
  cat "$WORK"/fuzz-*.log >> "$LOG" 2>/dev/null
else
  "$BIN" "${args[@]}" "$CORPUS" "$SEEDS" > "$LOG" 2>&1
fi
status=$?
set -e
grep -E '^#[0-9]+.*(DONE|pulse)|stat::|SUMMARY|ERROR' "$LOG" | tail -n 20 || true

# --- collect findings --------------------------------------------------------------------
shopt -s nullglob
found=("$ARTIFACTS"/crash-* "$ARTIFACTS"/timeout-* "$ARTIFACTS"/oom-* "$ARTIFACTS"/leak-*)
if [ ${#found[@]} -eq 0 ]; then
  echo "fuzz.sh: no crashes (libFuzzer exit status $status)"
  exit 0
fi
mkdir -p "$REGRESSIONS"
for artifact in "${found[@]}"; do
  name="$(basename "$artifact")"
  case "$name" in minimized-*) continue ;; esac
  minimized="$ARTIFACTS/minimized-$name"
  if [ ! -e "$minimized" ]; then
    timeout 900 "$BIN" -minimize_crash=1 -max_total_time=120 -timeout=10 -exact_artifact_path="$minimized" "$artifact" \
      > "$ARTIFACTS/$name.minimize.log" 2>&1 || true
  fi
  timeout 120 "$BIN" -timeout=10 "$artifact" > "$ARTIFACTS/$name.trace.txt" 2>&1 || true
  cp "$artifact" "$REGRESSIONS/$name.yaml"
  [ -e "$minimized" ] && cp "$minimized" "$REGRESSIONS/$name.min.yaml"
  {
    echo "# $name"
    echo
    echo "Found by Scripts/fuzz.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) (FUZZ_SECONDS=$SECONDS_BUDGET)."
    echo "Input: \`$name.yaml\`$([ -e "$minimized" ] && echo "; minimized: \`$name.min.yaml\`")."
    echo "Reproduce: \`FUZZ_BUILD_ONLY=1 Scripts/fuzz.sh && SWIFT_BACKTRACE=enable=no $BIN ${REGRESSIONS#"$ROOT"/}/$name.yaml\`"
    echo
    echo '```'
    grep -E 'FUZZ PROPERTY|ERROR:|Fatal error|deadly signal|SUMMARY|^ *#[0-9]+ ' "$ARTIFACTS/$name.trace.txt" | head -n 40
    echo '```'
  } > "$REGRESSIONS/$name.md"
  echo "fuzz.sh: $name -> $REGRESSIONS/$name.yaml (note: $name.md)"
done
exit 1
