#!/usr/bin/env bash
# Fuzzes heron-mime (raw mail -> parse -> view model -> sanitised HTML) for a bounded
# time with cargo-fuzz's libFuzzer.
#
#   scripts/fuzz.sh [SECONDS]        # default 60
#
# Exits non-zero when libFuzzer finds a crash (panic, failed invariant, timeout or
# out-of-memory) and prints the path of the crashing input; 0 when the time ran out
# without one. The target is crates/heron-mime/fuzz/fuzz_targets/parse_view_sanitize.rs.
#
# Environment:
#   HERON_FUZZ_DIR        build output, cargo-fuzz, the growing corpus and crash inputs
#                         (default: fuzz/ under CARGO_TARGET_DIR, else target/fuzz); kept
#                         apart from the main target directory because every crate is
#                         built with different flags
#   HERON_FUZZ_SANITIZER  none (default) or address: heron-mime forbids unsafe code, so
#                         AddressSanitizer only watches the unsafe code of dependencies,
#                         at about a quarter of the speed; use it for long runs
#
# cargo fuzz passes unstable (-Z) rustc flags; RUSTC_BOOTSTRAP=1 lets the stable
# toolchain accept them, so no nightly is needed.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "Usage: scripts/fuzz.sh [SECONDS] (a whole number of seconds, default 60)" >&2
  exit 2
fi

repo="$(cd "$(dirname "$0")/.." && pwd)"
crate="$repo/crates/heron-mime"
target=parse_view_sanitize
work="${HERON_FUZZ_DIR:-${CARGO_TARGET_DIR:-$repo/target}/fuzz}"
sanitizer="${HERON_FUZZ_SANITIZER:-none}"

# The newest cargo-fuzz at the time of writing; it builds with Rust 1.95.
cargo_fuzz_version=0.13.2
tools="$work/tools"
if ! "$tools/bin/cargo-fuzz" fuzz --version 2>/dev/null | grep -qF "$cargo_fuzz_version"; then
  echo "Installing cargo-fuzz $cargo_fuzz_version into $tools"
  cargo install --locked --quiet --root "$tools" "cargo-fuzz@$cargo_fuzz_version"
fi
export PATH="$tools/bin:$PATH"
export RUSTC_BOOTSTRAP=1

# The fixtures are the seeds, copied in at each run (new fixtures join an old corpus);
# libFuzzer adds what it finds to the same directory, so later runs start from there.
corpus="$work/corpus/$target"
artifacts="$work/artifacts/$target"
mkdir -p "$corpus" "$artifacts"
cp "$crate"/tests/corpus/*.eml "$corpus"/

log="$work/$target.log"
echo "Fuzzing $target for ${seconds}s (sanitizer: $sanitizer); corpus $corpus; log $log"
status=0
(
  cd "$crate"
  cargo fuzz run --fuzz-dir fuzz --target-dir "$work/target" -O -s "$sanitizer" \
    "$target" "$corpus" -- \
    -max_total_time="$seconds" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -max_len=32768 \
    -dict=fuzz/parse_view_sanitize.dict \
    -artifact_prefix="$artifacts/" \
    -print_final_stats=1
) 2>&1 | tee "$log" || status=$?

if [ "$status" -ne 0 ]; then
  crash="$(grep -oE "Test unit written to [^ ]+" "$log" | tail -n 1 | cut -d' ' -f5 || true)"
  echo >&2
  if [ -n "$crash" ]; then
    echo "CRASH: libFuzzer found an input that fails $target: $crash" >&2
    echo "Reproduce: (cd crates/heron-mime && RUSTC_BOOTSTRAP=1 PATH=$tools/bin:\$PATH cargo fuzz run --fuzz-dir fuzz --target-dir $work/target -O -s $sanitizer $target $crash)" >&2
    echo "Minimise:  (cd crates/heron-mime && RUSTC_BOOTSTRAP=1 PATH=$tools/bin:\$PATH cargo fuzz tmin --fuzz-dir fuzz --target-dir $work/target -O -s $sanitizer $target $crash -- -artifact_prefix=$artifacts/)" >&2
  else
    echo "cargo fuzz failed (exit $status) without a crashing input; see $log" >&2
  fi
  exit "$status"
fi
execs="$(grep -oE "stat::number_of_executed_units: [0-9]+" "$log" | tail -n 1 | cut -d' ' -f2 || true)"
echo "No crash in ${seconds}s (${execs:-?} inputs run)."
