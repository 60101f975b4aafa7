#!/usr/bin/env bash
# Runs every fuzz target for a while (default 60 s each), seeding the corpora
# from the shipped rules, the test cases and the examples. Needs a nightly
# toolchain and cargo-fuzz; without them it says so and exits 0.
#   fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(parse_check fmt_roundtrip facts generated_rules)

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: no nightly toolchain; skipped (rustup toolchain install nightly)"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is not installed; skipped (cargo install cargo-fuzz)"
  exit 0
fi

root=..
seed() {
  local dir=corpus/$1
  mkdir -p "$dir"
  case $1 in
    parse_check|fmt_roundtrip)
      find "$root/rules" "$root/tests/cases" -name '*.tenet' -print0 |
        while IFS= read -r -d '' file; do cp "$file" "$dir/seed-$(echo "$file" | md5sum | cut -c1-12)"; done ;;
    facts)
      # The first byte chooses the reader: even for JSON, odd for YAML.
      find "$root/examples" "$root/tests/cases/eval" -name '*.json' -print0 |
        while IFS= read -r -d '' file; do { printf '\x00'; cat "$file"; } > "$dir/seed-$(echo "$file" | md5sum | cut -c1-12)"; done
      find "$root/tests/cases/eval" -name '*.yaml' -print0 |
        while IFS= read -r -d '' file; do { printf '\x01'; cat "$file"; } > "$dir/seed-$(echo "$file" | md5sum | cut -c1-12)"; done ;;
    *) ;;
  esac
}

cargo +nightly fuzz build
status=0
for target in "${targets[@]}"; do
  seed "$target"
  echo "fuzz: $target for ${seconds}s"
  if ! cargo +nightly fuzz run "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -len_control=0 -print_final_stats=1 2>"$target.log"; then
    echo "fuzz: $target FAILED; see fuzz/$target.log and fuzz/artifacts/$target/"
    tail -40 "$target.log"
    status=1
  fi
  grep -E "stat::number_of_executed_units|cov: " "$target.log" | tail -2 || true
done
exit $status
