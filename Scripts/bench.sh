#!/usr/bin/env bash
# Scripts/bench.sh: kubeharden's throughput and memory, measured in one run against a bare
# libyaml scan in C and against ruamel.yaml. Run by hand, never by CI:
#
#   bash Scripts/bench.sh [--repeat N] [--target-mib M] [--files K] [--no-build] [--no-ruamel] [--keep]
#
#   --repeat N      best of N for each timing (default 3); the 10,000-file runs are timed once
#   --target-mib M  size of the multi-document stress file (default 50)
#   --files K       number of small files (default 10000)
#   --no-build      use the binaries already in $BUILD_DIR
#   --no-ruamel     skip the ruamel.yaml round trip (it takes minutes on 50 MB)
#   --keep          keep the temporary directory with the inputs and outputs
#
# Environment:
#   BUILD_DIR    where the release binaries are (default .build/release). A directory named
#                X/release is built with `--scratch-path X` (e.g. BUILD_DIR=.build-bench/release),
#                so a benchmark build need not share .build with other work.
#   SHARED       the shared directory (default ../shared next to the repository)
#   ORACLE_VENV  the venv of ../shared/tools/oracle.py (default ~/.cache/kubeharden-oracle-venv)
#   TMPDIR       where the temporary directory is made (needs about 4x the stress size plus 3x the small files)
#   MEMDIR       a tmpfs for the in-memory run of the directory benchmark (default /dev/shm)
#
# Inputs come from ../shared/tools/make-stress.py (never copied into the repository). Targets are
# printed next to the figures; a missed target is reported, not an error: the exit status is 0
# unless the build, the input generation or the C scanner's compilation fails.

set -u
set -o pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=${SHARED:-$ROOT/../shared}
BUILD_DIR=${BUILD_DIR:-.build/release}
REPEAT=3
TARGET_MIB=50
FILES=10000
BUILD=1
RUAMEL=1
KEEP=0

while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) REPEAT=$2; shift ;;
    --target-mib) TARGET_MIB=$2; shift ;;
    --files) FILES=$2; shift ;;
    --no-build) BUILD=0 ;;
    --no-ruamel) RUAMEL=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { printf '\n== %s\n' "$*"; }
die() { echo "bench.sh: $*" >&2; exit 1; }

for tool in python3 gcc /usr/bin/time awk; do
  command -v "$tool" >/dev/null 2>&1 || die "needs $tool"
done
[ -f "$SHARED/tools/make-stress.py" ] || die "no $SHARED/tools/make-stress.py (set SHARED)"
HAVE_TASKSET=1
command -v taskset >/dev/null 2>&1 || HAVE_TASKSET=0

# ---------------------------------------------------------------------------------------------
# Build

case "$BUILD_DIR" in
  /*) BIN=$BUILD_DIR ;;
  *) BIN=$ROOT/$BUILD_DIR ;;
esac
if [ "$BUILD" = 1 ]; then
  scratch=()
  if [ "$(basename "$BUILD_DIR")" = release ] && [ "$(dirname "$BUILD_DIR")" != .build ]; then
    scratch=(--scratch-path "$(dirname "$BUILD_DIR")")
  fi
  say "building release binaries into $BUILD_DIR"
  swift build -c release "${scratch[@]}" --product kubeharden || die "swift build --product kubeharden failed"
  swift build -c release "${scratch[@]}" --product kubeharden-bench || die "swift build --product kubeharden-bench failed"
fi
KH=$BIN/kubeharden
KHB=$BIN/kubeharden-bench
[ -x "$KH" ] && [ -x "$KHB" ] || die "no $KH or $KHB (build first or set BUILD_DIR)"

# ---------------------------------------------------------------------------------------------
# Inputs

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kubeharden-bench.XXXXXX") || die "mktemp failed"
if [ "$KEEP" = 1 ]; then
  trap 'echo; echo "kept: $WORK"' EXIT
else
  trap 'rm -rf "$WORK"' EXIT
fi
trap 'exit 130' INT TERM

say "generating inputs in $WORK (make-stress.py --target-mib $TARGET_MIB --files $FILES)"
python3 "$SHARED/tools/make-stress.py" --out "$WORK/gen" --target-mib "$TARGET_MIB" --files "$FILES" >"$WORK/stats.json" \
  || die "make-stress.py failed"
BIG=$WORK/gen/big.yaml
SMALL=$WORK/gen/small
[ -s "$BIG" ] && [ -d "$SMALL" ] || die "make-stress.py made no big.yaml or small/"

gcc -O2 -o "$WORK/libyaml-scan" "$SHARED/tools/libyaml-scan.c" -lyaml || die "cannot compile libyaml-scan.c (needs libyaml-dev)"
gcc -O2 -o "$WORK/atomic-rewrite" "$ROOT/Benchmarks/AtomicRewrite/atomic-rewrite.c" || die "cannot compile atomic-rewrite.c"
SCAN=$WORK/libyaml-scan

BIG_BYTES=$(stat -c %s "$BIG")
SMALL_COUNT=$(find "$SMALL" -type f -name '*.yaml' | wc -l)
SMALL_BYTES=$(find "$SMALL" -type f -name '*.yaml' -printf '%s\n' | awk '{s+=$1} END {print s+0}')

# ---------------------------------------------------------------------------------------------
# Helpers

# Floating point with awk: calc 'EXPR' (with -v variables already substituted).
calc() { awk "BEGIN { printf \"%s\", $1 }" 2>/dev/null; }
mb() { calc "sprintf(\"%.2f\", $1 / 1e6)"; }

# timed LOG CMD...: runs CMD under /usr/bin/time -v (its report goes to LOG; the command's
# stderr is kept apart in LOG.err); sets T_WALL (seconds), T_CPU (user + system seconds, less
# sensitive than the wall time to other work on the machine), T_RSS (KiB), T_STATUS.
timed() {
  local log=$1; shift
  /usr/bin/time -v -o "$log" "$@" 2>"$log.err"
  T_STATUS=$?
  T_RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  T_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
      n = split($2, p, ":"); s = 0
      for (i = 1; i <= n; i++) s = s * 60 + p[i]
      printf "%.3f", s }' "$log")
  T_CPU=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$log")
  [ -n "$T_RSS" ] || T_RSS=0
  [ -n "$T_WALL" ] || T_WALL=0
}

# lt A B: whether figure A is less than figure B.
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# smaller A B: the smaller of two figures as written, either of which may be empty.
smaller() {
  if [ -z "$1" ] || { [ -n "$2" ] && lt "$2" "$1"; }; then echo "$2"; else echo "$1"; fi
}

# best LOG N CMD...: the fastest of N timed runs (T_WALL, T_CPU, T_RSS from that run; T_STATUS
# any failure).
best() {
  local log=$1 n=$2; shift 2
  local bw="" bc=0 br=0 bad=0 i
  for ((i = 0; i < n; i++)); do
    timed "$log" "$@"
    [ "$T_STATUS" = 0 ] || bad=$T_STATUS
    if [ -z "$bw" ] || lt "$T_WALL" "$bw"; then
      bw=$T_WALL; bc=$T_CPU; br=$T_RSS
    fi
  done
  T_WALL=$bw; T_CPU=$bc; T_RSS=$br; T_STATUS=$bad
}

# C scan of a file: sets C_SECONDS (parse only, best of REPEAT, as printed by libyaml-scan) and
# C_WALL / C_RSS (whole process, best of REPEAT).
cscan() {
  local file=$1 i s
  C_SECONDS=""
  for ((i = 0; i < REPEAT; i++)); do
    s=$("$SCAN" "$file" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
    C_SECONDS=$(smaller "$C_SECONDS" "$s")
  done
  best "$WORK/cscan.time" "$REPEAT" sh -c '"$1" "$2" >/dev/null' sh "$SCAN" "$file"
  C_WALL=$T_WALL; C_RSS=$T_RSS
}

# The first documents of $BIG (split on lines that are exactly ---) up to about LIMIT bytes.
head_docs() {
  LC_ALL=C awk -v limit="$1" '$0 == "---" && n >= limit { exit } { print; n += length($0) + 1 }' "$BIG"
}

RESULTS=()
row() { RESULTS+=("$(printf '%-58s %-22s %-16s %s' "$1" "$2" "$3" "$4")"); }
verdict() { if awk "BEGIN { exit !($1) }"; then echo ok; else echo MISSED; fi; }

echo
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "inputs:  big.yaml $(mb "$BIG_BYTES") MB ($(grep -c '^---$' "$BIG") documents); small/ $SMALL_COUNT files, $(mb "$SMALL_BYTES") MB"
echo "binaries: $BIN"
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "note: the machine is busy (load average above half the cores): timings are noisy; best-of-N helps only partly"
fi

# ---------------------------------------------------------------------------------------------
# 1. ParseBenchmark on the big file

say "1. kubeharden-bench on big.yaml (best of $REPEAT)"
"$KHB" "$BIG" --repeat "$REPEAT" | tee "$WORK/parsebench.txt"
R=$(grep '^RESULT ' "$WORK/parsebench.txt")
field() { printf '%s\n' "$R" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
if [ -n "$R" ]; then
  row "bench: libyaml event scan (Swift, in-process)" "$(field scan_mbps) MB/s" "" ""
  row "bench: tree, streaming (forEachDocument)" "$(field tree_mbps) MB/s" "" ""
  row "bench: tree, all kept (parse)" "$(field parse_mbps) MB/s" "" ""
  row "bench: fix pipeline (Pipeline.process)" "$(field fix_mbps) MB/s" "" ""
  row "bench: tree/scan" "$(calc "sprintf(\"%.0f%%\", $(field tree_over_scan) * 100)")" ">= 70%" "$(verdict "$(field tree_over_scan) >= 0.70")"
  row "bench: pipeline/scan" "$(calc "sprintf(\"%.0f%%\", $(field fix_over_scan) * 100)")" ">= 50%" "$(verdict "$(field fix_over_scan) >= 0.50")"
  for phase in scan tree parse fix; do
    x=$(field "${phase}_peak_x")
    [ -z "$x" ] && continue
    if [ "$phase" = parse ]; then
      row "bench: peak RSS, parse phase alone" "${x}x input" "" "all documents kept; for information"
    else
      row "bench: peak RSS, $phase phase alone" "${x}x input" "<= 4x" "$(verdict "$x <= 4")"
    fi
  done
else
  row "bench" "failed" "" ""
fi

# ---------------------------------------------------------------------------------------------
# 2. kubeharden fix - end to end vs the C scan

say "2. kubeharden fix - < big.yaml > /dev/null vs C libyaml-scan (best of $REPEAT)"
best "$WORK/fix-big.time" "$REPEAT" sh -c '"$1" fix --quiet - <"$2" >/dev/null' sh "$KH" "$BIG"
FIX_WALL=$T_WALL; FIX_CPU=$T_CPU; FIX_RSS=$T_RSS
[ "$T_STATUS" = 0 ] || { echo "kubeharden fix - exited $T_STATUS:"; head -5 "$WORK/fix-big.time.err"; }
cscan "$BIG"
FIX_MBPS=$(calc "sprintf(\"%.1f\", $BIG_BYTES / 1e6 / $FIX_WALL)")
C_MBPS=$(calc "sprintf(\"%.1f\", $BIG_BYTES / 1e6 / $C_SECONDS)")
C_WALL_MBPS=$(calc "sprintf(\"%.1f\", $BIG_BYTES / 1e6 / $C_WALL)")
FIX_X=$(calc "sprintf(\"%.2f\", $FIX_RSS * 1024 / $BIG_BYTES)")
C_X=$(calc "sprintf(\"%.2f\", $C_RSS * 1024 / $BIG_BYTES)")
printf '  kubeharden fix -   %8.3f s (cpu %s s)  %7s MB/s  peak RSS %7.1f MiB = %sx input\n' "$FIX_WALL" "$FIX_CPU" "$FIX_MBPS" "$(calc "$FIX_RSS / 1024")" "$FIX_X"
printf '  C libyaml-scan     %8.3f s  %7s MB/s  (parse only: %s s, %s MB/s)  peak RSS %.1f MiB = %sx input\n' \
  "$C_WALL" "$C_WALL_MBPS" "$C_SECONDS" "$C_MBPS" "$(calc "$C_RSS / 1024")" "$C_X"
printf '  fix / C scan: %sx the time of the whole C process, %sx its parse alone\n' \
  "$(calc "sprintf(\"%.2f\", $FIX_WALL / $C_WALL)")" "$(calc "sprintf(\"%.2f\", $FIX_WALL / $C_SECONDS)")"
row "fix - (big.yaml, end to end)" "$FIX_MBPS MB/s, ${FIX_WALL}s" "" "cpu ${FIX_CPU}s"
row "C libyaml-scan (same file; parse only)" "$C_MBPS MB/s" "" ""
row "fix - / C scan (time; C whole process)" "$(calc "sprintf(\"%.2fx\", $FIX_WALL / $C_WALL)")" "" ""
row "fix - / C scan (time; C parse only)" "$(calc "sprintf(\"%.2fx\", $FIX_WALL / $C_SECONDS)")" "" ""
row "fix - peak RSS / input" "${FIX_X}x ($(calc "sprintf(\"%.0f\", $FIX_RSS / 1024)") MiB)" "<= 4x" "$(verdict "$FIX_X <= 4")"

# ---------------------------------------------------------------------------------------------
# 3. The 10,000-file directory

say "3. kubeharden fix DIR on $SMALL_COUNT files ($(mb "$SMALL_BYTES") MB): all cores vs one core vs the C scan"
# libyaml-scan takes one file (it seeks, so not a pipe): every file concatenated as one stream,
# each preceded by a '---' line so that they stay separate documents. Timed: concatenation + scan.
timed "$WORK/scan-dir.time" sh -c '
  find "$1" -type f -name "*.yaml" -print0 | LC_ALL=C xargs -0 awk "FNR == 1 { print \"---\" } { print }" >"$2" &&
  "$3" "$2" >"$2.out"' sh "$SMALL" "$WORK/small-concat.yaml" "$SCAN"
SCAN_DIR=$T_WALL; SCAN_DIR_CPU=$T_CPU
SCAN_DIR_PARSE=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$WORK/small-concat.yaml.out")
printf '  cat all + C scan        %8.3f s (cpu %s s)  of which the parse: %s s\n' "$SCAN_DIR" "$SCAN_DIR_CPU" "$SCAN_DIR_PARSE"
row "cat all files + C libyaml-scan, one process" "${SCAN_DIR}s" "" "cpu ${SCAN_DIR_CPU}s"

# dir_run LABEL BASE: fix DIR on fresh copies of the tree under BASE, best of REPEAT on all
# cores, once on one core. The copies are flushed first (sync) so that fix's own flush does not
# pay for them.
dir_run() {
  local label=$1 base=$2 i bw="" bc=0 br=0 changed
  for ((i = 0; i < REPEAT; i++)); do
    rm -rf "$base/dir-all"
    cp -r "$SMALL" "$base/dir-all"
    sync
    timed "$WORK/fix-dir-all.time" "$KH" fix --quiet "$base/dir-all"
    [ "$T_STATUS" = 0 ] || { echo "kubeharden fix DIR exited $T_STATUS:"; head -5 "$WORK/fix-dir-all.time.err"; }
    if [ -z "$bw" ] || lt "$T_WALL" "$bw"; then bw=$T_WALL; bc=$T_CPU; br=$T_RSS; fi
  done
  changed=$(diff -rq "$SMALL" "$base/dir-all" | wc -l)
  local one="" one_cpu=""
  if [ "$HAVE_TASKSET" = 1 ]; then
    rm -rf "$base/dir-one"
    cp -r "$SMALL" "$base/dir-one"
    sync
    timed "$WORK/fix-dir-one.time" taskset -c 0 "$KH" fix --quiet "$base/dir-one"
    one=$T_WALL; one_cpu=$T_CPU
    [ "$T_STATUS" = 0 ] || { echo "taskset kubeharden fix DIR exited $T_STATUS:"; head -5 "$WORK/fix-dir-one.time.err"; }
  else
    echo "  (no taskset: single-core figure skipped)"
  fi
  rm -rf "$base/dir-all" "$base/dir-one"
  printf '  [%s] fix DIR, all %s cores   %8.3f s (cpu %s s)  %6s MB/s  peak RSS %.1f MiB  (%s files changed)\n' "$label" "$(nproc)" "$bw" \
    "$bc" "$(calc "sprintf(\"%.1f\", $SMALL_BYTES / 1e6 / $bw)")" "$(calc "$br / 1024")" "$changed"
  row "[$label] fix DIR ($SMALL_COUNT files), all cores" "${bw}s" "" "cpu ${bc}s"
  if [ -n "$one" ]; then
    printf '  [%s] fix DIR, taskset -c 0   %8.3f s (cpu %s s)  speed-up with all cores: %sx\n' "$label" "$one" "$one_cpu" \
      "$(calc "sprintf(\"%.2f\", $one / $bw)")"
    row "[$label] fix DIR, one core (taskset -c 0)" "${one}s" "" "cpu ${one_cpu}s"
    row "[$label] speed-up all cores / one core" "$(calc "sprintf(\"%.2fx\", $one / $bw)")" "" ""
  fi
  printf '  [%s] fix DIR / (cat + C scan): %sx\n' "$label" "$(calc "sprintf(\"%.2f\", $bw / $SCAN_DIR)")"
  row "[$label] fix DIR / C scan (time)" "$(calc "sprintf(\"%.2fx\", $bw / $SCAN_DIR)")" "< 2x" "$(verdict "$bw / $SCAN_DIR < 2")"
  # The floor this file system sets: every file rewritten atomically (read, temporary file,
  # rename, one flush), one core, no YAML at all (Benchmarks/AtomicRewrite/atomic-rewrite.c).
  local rw="" s
  for ((i = 0; i < REPEAT; i++)); do
    rm -rf "$base/dir-rw"
    cp -r "$SMALL" "$base/dir-rw"
    sync
    s=$("$WORK/atomic-rewrite" "$base/dir-rw" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
    rw=$(smaller "$rw" "$s")
  done
  rm -rf "$base/dir-rw"
  if [ -n "$rw" ]; then
    printf '  [%s] atomic rewrite of every file, no YAML (C, one core): %s s = %sx (cat + C scan); fix DIR takes %sx of it\n' "$label" \
      "$rw" "$(calc "sprintf(\"%.2f\", $rw / $SCAN_DIR)")" "$(calc "sprintf(\"%.2f\", $bw / $rw)")"
    row "[$label] atomic rewrite, no YAML (C)" "${rw}s" "" "$(calc "sprintf(\"%.2fx\", $rw / $SCAN_DIR)") the C scan: this file system's floor"
    row "[$label] fix DIR / atomic rewrite (time)" "$(calc "sprintf(\"%.2fx\", $bw / $rw)")" "" ""
  fi
}

# On the disk of $TMPDIR (the flush and the renames cost what this disk costs), and in memory
# (MEMDIR, default /dev/shm when it is a tmpfs): what kubeharden itself costs.
dir_run "disk $(df -P "$WORK" | awk 'NR == 2 { print $1 }')" "$WORK"
MEMDIR=${MEMDIR:-/dev/shm}
if [ -d "$MEMDIR" ] && [ -w "$MEMDIR" ] && [ "$(stat -f -c %T "$MEMDIR" 2>/dev/null)" = tmpfs ]; then
  MEMWORK=$(mktemp -d "$MEMDIR/kubeharden-bench.XXXXXX")
  dir_run "tmpfs" "$MEMWORK"
  rm -rf "$MEMWORK"
else
  echo "  (no tmpfs at $MEMDIR: the in-memory run is skipped; set MEMDIR)"
fi

# ---------------------------------------------------------------------------------------------
# 4. ruamel.yaml round trip

say "4. ruamel.yaml round trip of big.yaml (oracle.py ruamel-roundtrip) vs kubeharden fix -"
VENV=${ORACLE_VENV:-$HOME/.cache/kubeharden-oracle-venv}
if [ "$RUAMEL" = 0 ]; then
  echo "  skipped (--no-ruamel)"
  row "ruamel.yaml round trip" "skipped" "" ""
elif ! [ -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import ruamel.yaml' 2>/dev/null; then
  echo "  SKIPPED: no oracle venv with ruamel.yaml at $VENV (run: bash $SHARED/tools/setup-oracle.sh)"
  row "ruamel.yaml round trip" "skipped (no venv)" "" ""
else
  timed "$WORK/ruamel.time" sh -c 'python3 "$1" ruamel-roundtrip "$2" "$3" >"$4"' sh \
    "$SHARED/tools/oracle.py" "$BIG" "$WORK/ruamel-out.yaml" "$WORK/ruamel.json"
  if [ "$T_STATUS" != 0 ] && grep -q 'duplicate key' "$WORK/ruamel.json" 2>/dev/null; then
    # The stress file holds a dev-corpus manifest with a duplicate key, which ruamel.yaml refuses
    # by default (libyaml and kubeharden accept it). Same oracle, same settings, except
    # allow_duplicate_keys, run in the oracle's venv so that it does not re-exec itself.
    echo "  ruamel.yaml refuses a duplicate key in big.yaml; running the same round trip with allow_duplicate_keys = True"
    cat >"$WORK/ruamel-dupkeys.py" <<'PY'
import runpy, sys
from ruamel.yaml import YAML
_init = YAML.__init__
def _patched(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.allow_duplicate_keys = True
YAML.__init__ = _patched
oracle, src, dst = sys.argv[1:4]
sys.argv = [oracle, "ruamel-roundtrip", src, dst]
runpy.run_path(oracle, run_name="__main__")
PY
    timed "$WORK/ruamel.time" sh -c '_ORACLE_IN_VENV=1 "$1" "$2" "$3" "$4" "$5" >"$6"' sh \
      "$VENV/bin/python" "$WORK/ruamel-dupkeys.py" "$SHARED/tools/oracle.py" "$BIG" "$WORK/ruamel-out.yaml" "$WORK/ruamel.json"
  fi
  if [ "$T_STATUS" = 0 ]; then
    RU_WALL=$T_WALL
    RU_INFO=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print("ruamel.yaml %s: load %ss, dump %ss, output identical to input: %s" % (d.get("ruamel.yaml"), d.get("load_s"), d.get("dump_s"), d.get("identical")))' \
      "$WORK/ruamel.json" 2>/dev/null)
    RATIO=$(calc "sprintf(\"%.1f\", $RU_WALL / $FIX_WALL)")
    echo "  $RU_INFO"
    printf '  ruamel process: %s s wall, peak RSS %s MiB; kubeharden fix -: %s s\n' "$RU_WALL" "$(calc "sprintf(\"%.0f\", $T_RSS / 1024)")" "$FIX_WALL"
    echo "  ruamel / kubeharden fix -: ${RATIO}x"
    row "ruamel.yaml round trip (big.yaml)" "${RU_WALL}s" "" "peak $(calc "sprintf(\"%.0f\", $T_RSS / 1024)") MiB"
    row "ruamel / kubeharden fix - (time)" "${RATIO}x" ">= 20x" "$(verdict "$RATIO >= 20")"
    rm -f "$WORK/ruamel-out.yaml"
  else
    echo "  ruamel round trip failed (exit $T_STATUS):"; head -5 "$WORK/ruamel.time.err"; cat "$WORK/ruamel.json" 2>/dev/null
    row "ruamel.yaml round trip" "failed" "" ""
  fi
fi

# ---------------------------------------------------------------------------------------------
# 5. Scaling

say "5. scaling: kubeharden fix - on the first documents of big.yaml (best of $REPEAT)"
# The process's own floor (runtime, libraries) from an empty input, to show the input's share.
timed "$WORK/empty.time" sh -c '"$1" fix --quiet - </dev/null >/dev/null' sh "$KH"
BASE_RSS=$T_RSS
echo "  (kubeharden fix - on an empty input: peak RSS $(calc "sprintf(\"%.1f\", $BASE_RSS / 1024)") MiB; 'net/in' leaves it out)"
printf '  %8s %10s %8s %10s %12s %10s %10s %8s\n' "MB" "fix s" "cpu s" "MB/s" "s per MB" "peak MiB" "peak/in" "net/in"
FIRST_PER=""
for size in 1 5 10 25 50; do
  f=$WORK/scale-$size.yaml
  head_docs $((size * 1000000)) >"$f"
  bytes=$(stat -c %s "$f")
  if [ "$bytes" = "${PREV_BYTES:-}" ]; then rm -f "$f"; break; fi  # big.yaml is smaller than this size
  PREV_BYTES=$bytes
  best "$WORK/scale-$size.time" "$REPEAT" sh -c '"$1" fix --quiet - <"$2" >/dev/null' sh "$KH" "$f"
  [ "$T_STATUS" = 0 ] || echo "  (fix exited $T_STATUS on $size MB)"
  per=$(calc "sprintf(\"%.4f\", $T_WALL / ($bytes / 1e6))")
  [ -n "$FIRST_PER" ] || FIRST_PER=$per
  net=$(calc "sprintf(\"%.2fx\", ($T_RSS - $BASE_RSS) * 1024 / $bytes)")
  printf '  %8s %10s %8s %10s %12s %10s %10s %8s\n' "$(mb "$bytes")" "$T_WALL" "$T_CPU" "$(calc "sprintf(\"%.1f\", $bytes / 1e6 / $T_WALL)")" \
    "$per" "$(calc "sprintf(\"%.1f\", $T_RSS / 1024)")" "$(calc "sprintf(\"%.2fx\", $T_RSS * 1024 / $bytes)")" "$net"
  row "scaling: $(mb "$bytes") MB" "${T_WALL}s, $per s/MB" "" \
    "$(calc "sprintf(\"%.2f\", $per / $FIRST_PER)")x the 1 MB s/MB; peak $(calc "sprintf(\"%.0f\", $T_RSS / 1024)") MiB ($(calc "sprintf(\"%.2fx\", $T_RSS * 1024 / $bytes)"), net $net)"
  rm -f "$f"
done

# ---------------------------------------------------------------------------------------------
# Summary

say "summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-58s %-22s %-16s %s\n' "measure" "value" "target" "verdict / note"
printf '%s\n' "$(printf '%.0s-' {1..110})"
printf '%s\n' "${RESULTS[@]}"
exit 0
