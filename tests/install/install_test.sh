#!/usr/bin/env bash
# The installed libpyro works for a project of its own: `cmake --install` this build into a
# temporary prefix, check the files a C++ user expects are there, then configure, build and run
# tests/consumer/ (an echo server and a client) against that prefix alone.
#
#   install_test.sh BUILD_DIR CONSUMER_SOURCE_DIR
set -euo pipefail

build_dir="$1"
consumer_dir="$2"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() { printf 'install test: %s\n' "$*" >&2; exit 1; }

prefix="$work/prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" \
    || { cat "$work/install.log" >&2; fail "cmake --install failed"; }

libdir="$(find "$prefix" -name libpyro.a -printf '%h\n' | head -n 1)"
[[ -n "$libdir" ]] || fail "no libpyro.a under $prefix"
for file in include/pyro/pyro.hpp include/pyro/version.hpp include/pyro/daemon.hpp \
            bin/pyro-ns bin/pyro-nsc; do
    [[ -e "$prefix/$file" ]] || fail "missing after install: $file"
done
for file in cmake/pyro/pyroConfig.cmake cmake/pyro/pyroConfigVersion.cmake \
            cmake/pyro/pyroTargets.cmake pkgconfig/pyro.pc; do
    [[ -e "$libdir/$file" ]] || fail "missing after install: ${libdir#"$prefix"/}/$file"
done

# pkg-config finds the same library and headers.
if command -v pkg-config >/dev/null; then
    flags="$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs pyro)" \
        || fail "pkg-config cannot read pyro.pc"
    include_dir="$(sed -n 's/^-I\([^ ]*\) .*/\1/p' <<<"$flags")"
    [[ -n "$include_dir" && "$(realpath "$include_dir")" == "$(realpath "$prefix/include")" ]] \
        || fail "pyro.pc points elsewhere: $flags"
fi

# The consumer sees only the prefix: no path into this build or the kit's sources.
cmake -S "$consumer_dir" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" 2>&1 \
    || { cat "$work/configure.log" >&2; fail "the consumer project did not configure"; }
cmake --build "$work/consumer" -j 2 >"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; fail "the consumer project did not build"; }
if grep -q -- "$(cd "$build_dir" && pwd)" "$work/consumer/CMakeCache.txt"; then
    fail "the consumer's cache refers to the kit's build folder"
fi

# Run them: the server prints its URI, the client echoes through it.
PYRO_HOST=127.0.0.1 PYRO_PORT=0 "$work/consumer/consumer-echo-server" >"$work/server.out" 2>&1 &
server_pid=$!
uri=""
for _ in $(seq 1 100); do
    uri="$(grep -o 'PYRO:consumer.echo@[^ ]*' "$work/server.out" || true)"
    [[ -n "$uri" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.out" >&2; fail "the server ended"; }
    sleep 0.1
done
[[ -n "$uri" ]] || fail "the server printed no URI in 10 s"
reply="$("$work/consumer/consumer-echo-client" "$uri" "hello from an installed libpyro")"
[[ "$reply" == "hello from an installed libpyro" ]] || fail "unexpected reply: $reply"
grep -q "^libpyro [0-9][0-9.]* echo at " "$work/server.out" || fail "server banner: $(cat "$work/server.out")"
kill -INT "$server_pid"
wait "$server_pid" || fail "the server did not stop cleanly on SIGINT"
server_pid=""
echo "install test: installed into $prefix, consumer built and called: $reply"
