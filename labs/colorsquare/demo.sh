#!/usr/bin/env bash
# The colorsquare lab end to end, in one terminal: a name server, the receiver (its window, or
# off screen when there is no display) and a scripted transmitter. Every program's output is
# shown with a coloured prefix; everything started here is stopped by its process id at the end.
#
#   labs/colorsquare/demo.sh BIN_DIR        (./labkit demo colorsquare calls it like this)
#
# DEMO_DELAY=SECONDS sets the pause between two commands (default 1), to watch the window.
set -euo pipefail

BIN_DIR="${1:?usage: demo.sh BIN_DIR (the folder with colorsquare-receive, e.g. build/bin)}"
DELAY="${DEMO_DELAY:-1}"
for program in colorsquare-receive colorsquare-transmit; do
    [[ -x "$BIN_DIR/$program" ]] || { echo "demo: $BIN_DIR/$program not found; build first (./labkit build)" >&2; exit 1; }
done
NAME_SERVER="$BIN_DIR/pyro-ns"
[[ -x "$NAME_SERVER" ]] || NAME_SERVER=/usr/bin/pyro4-ns

# Nothing leaves this machine: the name server listens on loopback, and no program broadcasts
# beyond it when looking for one.
export PYRO_BROADCAST_ADDRS=127.0.0.1
LOGS="$(mktemp -d)"
PIDS=()

# Colours only on a terminal (and not when NO_COLOR is set).
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
    RESET=$'\e[0m'; BOLD=$'\e[1m'
else
    RESET=''; BOLD=''
fi
colour() {
    if [[ -n "$RESET" ]]; then printf '\e[%sm' "$1"; fi
}

# prefix NAME COLOUR: copies its input to the screen, each line behind "NAME |".
prefix() {
    local line
    while IFS= read -r line; do
        printf '%s%-9s|%s %s\n' "$(colour "$2")" "$1" "$RESET" "$line"
    done
}
say() { printf '%s== %s%s\n' "$BOLD" "$*" "$RESET"; }

# start NAME COLOUR PROGRAM ARGS...: runs a program in the background; its output goes to the
# screen (prefixed) and to $LOGS/NAME.log, so we can wait for the line that says it is ready.
start() {
    local name="$1" code="$2"
    shift 2
    mkfifo "$LOGS/$name.out"
    # The prefixer ignores Ctrl-C: it ends when the program's output does.
    (trap '' INT && tee "$LOGS/$name.log" <"$LOGS/$name.out" | prefix "$name" "$code") &
    # setsid: Ctrl-C in this terminal reaches only this script, which then stops the programs
    # in order (the receiver must unregister before the name server goes). In a script,
    # setsid execs the program itself, so $! is the program's process id.
    setsid "$@" >"$LOGS/$name.out" 2>&1 </dev/null &
    PIDS+=("$!")
}

# wait_for NAME TEXT: waits up to 15 s for TEXT in the output of NAME, the program started last.
wait_for() {
    local i
    for ((i = 0; i < 150; i++)); do
        grep -q -- "$2" "$LOGS/$1.log" 2>/dev/null && return 0
        kill -0 "${PIDS[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    sleep 0.2
    echo "demo: $1 did not print '$2'; see its output above" >&2
    return 1
}

# Stops what we started, newest first, by process id: SIGTERM, then SIGKILL after 5 s.
stop_all() {
    local pid i n
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid="${PIDS[i]}"
        if kill -TERM "$pid" 2>/dev/null; then
            for ((n = 0; n < 50; n++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    wait # the prefixers end with their program's output
}
trap 'stop_all; rm -rf "$LOGS"' EXIT
trap 'exit 130' INT TERM

say "1. the name server (port 0: any free port, on loopback only)"
start pyro-ns 36 "$NAME_SERVER" -n 127.0.0.1 -p 0
wait_for pyro-ns "URI = "
NS_PORT="$(sed -n 's/^URI = PYRO:Pyro.NameServer@127.0.0.1:\([0-9]*\).*/\1/p' "$LOGS/pyro-ns.log")"
NS=(--ns-host 127.0.0.1 --ns-port "$NS_PORT")

HEADLESS=()
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
    HEADLESS=(--headless)
    say "2. the receiver (no display here: it draws off screen with --headless)"
else
    say "2. the receiver (watch its window)"
fi
start receive 33 "$BIN_DIR/colorsquare-receive" "${HEADLESS[@]}" --host 127.0.0.1 "${NS[@]}"
wait_for receive "Registered as"

say "3. the transmitter, typing RED, 0,128,255, TIME, a mistake and QUIT"
for command in RED 0,128,255 TIME "300,0,0" QUIT; do
    sleep "$DELAY"
    echo "$command"
done | "$BIN_DIR/colorsquare-transmit" "${NS[@]}" 2>&1 | prefix transmit 35

wait_for receive "set_color(0, 128, 255)"
say "the colour changes the receiver served:"
grep '^set_color' "$LOGS/receive.log" | sed 's/^/   /'

say "4. stopping everything by process id (by hand: Ctrl-C in each terminal)"
stop_all
SHOWN_BIN="${BIN_DIR#"$PWD"/}" SHOWN_NS="${NAME_SERVER#"$PWD"/}"
cat <<EOF

To do the same by hand, open three terminals in the kit folder:
  terminal 1:  $SHOWN_NS
  terminal 2:  $SHOWN_BIN/colorsquare-receive        (add --headless without a display)
  terminal 3:  $SHOWN_BIN/colorsquare-transmit       (then type RED, 0,128,255, TIME, QUIT)
labs/colorsquare/README.md and handouts/colorsquare.md explain what happens in between.
EOF
