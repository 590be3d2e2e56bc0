#!/usr/bin/env bash
# Run the test suite and every benchmark on this machine's accelerator (or CPU), and write
# one Markdown report with the machine, the versions, the test summary and the tables.
#
#   bench/run_all.sh                      # GPU if JAX sees one, else CPU
#   bench/run_all.sh --platform cpu       # force CPU (cuda: force GPU)
#   bench/run_all.sh --quick              # smoke run: benchmark sizes 100x smaller
#   bench/run_all.sh --out report.md      # default bench/results/run_all_<platform>.md
#   bench/run_all.sh --skip-tests | --skip-bench
#
# Environment: PYTHON (default: python), PYTEST_ARGS (default: -q -p no:cacheprovider).
# The exit code is the test suite's (0 with --skip-tests); a benchmark that fails is shown
# as failed in the report and makes the exit code 1.
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python}
PLATFORM=auto
QUICK=""
OUT=""
RUN_TESTS=1
RUN_BENCH=1
while [ $# -gt 0 ]; do
  case "$1" in
    --platform) PLATFORM=$2; shift 2 ;;
    --quick) QUICK=--quick; shift ;;
    --out) OUT=$2; shift 2 ;;
    --skip-tests) RUN_TESTS=0; shift ;;
    --skip-bench) RUN_BENCH=0; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run_all.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ "$PLATFORM" = auto ]; then
  # Ask JAX itself (with no platform forced) whether it has a GPU.
  if env -u JAX_PLATFORMS "$PYTHON" -c \
      "import jax, sys; sys.exit(0 if jax.default_backend() == 'gpu' else 1)" >/dev/null 2>&1; then
    PLATFORM=cuda
  else
    PLATFORM=cpu
  fi
fi
export JAX_PLATFORMS=$PLATFORM
# Subprocess tests and torch share the accelerator with the pytest process: no preallocation.
export XLA_PYTHON_CLIENT_PREALLOCATE=false
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

TAG=$PLATFORM${QUICK:+_quick}
OUT=${OUT:-bench/results/run_all_$TAG.md}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$(dirname "$OUT")"
STATUS=0

section() { printf '\n## %s\n\n' "$1" >>"$WORK/report.md"; }
bench_failed() { if [ "$STATUS" -eq 0 ]; then STATUS=1; fi; }

{
  echo "# lrx: tests and benchmarks on $PLATFORM"
  echo
  echo '```'
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
  echo "command: bench/run_all.sh --platform $PLATFORM $QUICK"
  echo "host: $(uname -srm)"
  echo "cpu: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  echo "memory: $(free -g 2>/dev/null | awk '/^Mem:/ {print $2 " GiB"}')"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null |
      sed 's/^/gpu: /'
  fi
  "$PYTHON" - <<'EOF'
import importlib, jax
print(f"python: {__import__('platform').python_version()}")
for name in ("jax", "jaxlib", "optax", "flax", "orbax.checkpoint", "torch"):
    try:
        mod = importlib.import_module(name)
        print(f"{name}: {getattr(mod, '__version__', '?')}")
    except ImportError:
        print(f"{name}: absent")
print(f"jax backend: {jax.default_backend()}, {jax.device_count()} x {jax.devices()[0].device_kind}")
try:
    import torch
    print(f"torch cuda: {torch.cuda.is_available()}")
except ImportError:
    pass
EOF
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
  echo '```'
} >"$WORK/report.md" 2>&1

run_step() {  # run_step NAME CMD...: time it, keep its output, record pass/fail
  local name=$1; shift
  local t0=$SECONDS rc
  echo "run_all.sh: $name: $*" >&2
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  echo "| $name | \`$*\` | $((SECONDS - t0)) s | $([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)") |" \
    >>"$WORK/summary.md"
  return $rc
}

echo "| step | command | wall | result |" >"$WORK/summary.md"
echo "|---|---|---|---|" >>"$WORK/summary.md"

if [ $RUN_TESTS = 1 ]; then
  # shellcheck disable=SC2086
  run_step tests "$PYTHON" -m pytest ${PYTEST_ARGS:--q -p no:cacheprovider}
  STATUS=$?
fi
if [ $RUN_BENCH = 1 ]; then
  run_step step_time "$PYTHON" bench/step_time.py $QUICK --out "$WORK/step_time.md" || bench_failed
  run_step compile_time "$PYTHON" bench/compile_time.py $QUICK --out "$WORK/compile_time.md" ||
    bench_failed
  if [ -f bench/sweep.py ]; then
    run_step sweep "$PYTHON" bench/sweep.py $QUICK --out "$WORK/sweep.md" || bench_failed
  fi
fi

section "Summary"
cat "$WORK/summary.md" >>"$WORK/report.md"
if [ $RUN_TESTS = 1 ]; then
  section "Test suite (JAX_PLATFORMS=$PLATFORM)"
  { echo '```'; tail -n 40 "$WORK/tests.out"; echo '```'; } >>"$WORK/report.md"
fi
for b in step_time compile_time sweep; do
  [ -f "$WORK/$b.out" ] || continue
  section "bench/$b.py"
  if [ -s "$WORK/$b.md" ]; then
    cat "$WORK/$b.md" >>"$WORK/report.md"
  else
    { echo '```'; tail -n 30 "$WORK/$b.out" "$WORK/$b.err"; echo '```'; } >>"$WORK/report.md"
  fi
done
printf '\nload average at end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" >>"$WORK/report.md"

cp "$WORK/report.md" "$OUT"
echo "run_all.sh: report written to $OUT (exit $STATUS)" >&2
exit "$STATUS"
