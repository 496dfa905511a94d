#!/usr/bin/env bash
# The kit inside another project (add_subdirectory, which FetchContent does too) builds libpyro
# alone: SDL2, CLI11, GoogleTest, SQLite and Google Benchmark are made unfindable, and the
# consumer project (tests/consumer/) must still configure, build and link.
#
#   subdirectory_test.sh KIT_SOURCE_DIR CONSUMER_SOURCE_DIR
set -euo pipefail

kit_dir="$1"
consumer_dir="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { printf 'subdirectory test: %s\n' "$*" >&2; exit 1; }

blocked=()
for package in SDL2 CLI11 GTest SQLite3 benchmark X11; do
    blocked+=("-DCMAKE_DISABLE_FIND_PACKAGE_${package}=TRUE")
done
cmake -S "$consumer_dir" -B "$work/build" -DPYRO_KIT_SOURCE_DIR="$kit_dir" \
    -DCMAKE_BUILD_TYPE=Release "${blocked[@]}" >"$work/configure.log" 2>&1 \
    || { cat "$work/configure.log" >&2; fail "configure failed with the kit as a subdirectory"; }
cmake --build "$work/build" -j 2 >"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; fail "build failed with the kit as a subdirectory"; }
for program in consumer-echo-server consumer-echo-client; do
    [[ -x "$work/build/$program" ]] || fail "$program was not built"
done
# Only libpyro of the kit: no name server, lab program or test was built.
if find "$work/build" -name 'pyro-ns' -o -name 'echo-server' -o -name '*_test' | grep -q .; then
    fail "the kit built more than libpyro: $(find "$work/build" -name 'pyro-ns' -o -name 'echo-server' -o -name '*_test')"
fi
echo "subdirectory test: libpyro built inside another project without SDL2, CLI11 or GoogleTest"
