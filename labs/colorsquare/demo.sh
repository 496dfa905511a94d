#!/usr/bin/env bash
# The colorsquare lab end to end, in one terminal: a name server, the receiver (its window, or
# off screen when there is no display) and a scripted transmitter. Each program's output is shown
# behind a coloured [name] prefix. Then everything is stopped with Ctrl-C (the receiver takes its
# name out of the name server) and the same steps are printed for separate terminals.
#
#   labs/colorsquare/demo.sh BIN_DIR [--tmux]   (./labkit demo colorsquare [--tmux])
#
# DEMO_DELAY=SECONDS sets the pause between two typed commands (default 1), to watch the window.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../common/demo_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../common/demo_lib.sh"

DEMO_USAGE="Usage: labs/colorsquare/demo.sh BIN_DIR [--tmux]   (./labkit demo colorsquare)
Runs the name server, colorsquare-receive and a transmitter that types RED, 0,128,255, TIME, a
mistake and QUIT; --tmux opens them in tmux panes (there you type the commands yourself).
DEMO_DELAY=SECONDS sets the pause between two typed commands (default 1)."
demo_init colorsquare "$@"
receive="$DEMO_BIN/colorsquare-receive"
transmit="$DEMO_BIN/colorsquare-transmit"
demo_require "$receive" "$transmit"
delay="${DEMO_DELAY:-1}"

# Without a display the receiver draws off screen.
headless=""
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
    headless=" --headless"
fi

if $DEMO_TMUX; then
    demo_tmux "name server|$(demo_ns_command)|^URI = |rror" \
              "receiver|$receive$headless|Registered as|rror" \
              "transmitter (type RED, 0,128,255, TIME, QUIT)|$transmit"
    exit 0
fi

# 1. The name server, then the receiver: it registers its square under a name.
demo_start_name_server
ns=(--ns-host 127.0.0.1 --ns-port "$PYRO_NS_PORT")
if [[ -n "$headless" ]]; then
    demo_say "no display here: the receiver draws off screen with --headless"
fi
# shellcheck disable=SC2086  # $headless is one option or nothing
demo_start receive "$receive" $headless --host 127.0.0.1 "${ns[@]}"
demo_wait_for receive 'Registered as'
# 2. The transmitter, as if typed: two colours, TIME, a mistake, QUIT.
# shellcheck disable=SC2016  # expanded by the bash that runs it, not here
script='for command in RED 0,128,255 TIME 300,0,0 QUIT; do sleep "$1"; echo "$command"; done'
demo_run transmit bash -c "$script | \"\$0\" \"\${@:2}\"" "$transmit" "$delay" "${ns[@]}"
demo_wait_for receive '^set_color\(0, 128, 255\)' 5
# 3. Ctrl-C to each: the receiver takes its name out of the name server first.
demo_stop receive
demo_stop name-server

demo_say "done: the receiver served every colour the transmitter sent"
demo_terminals "the name server|$(demo_ns_command)" \
               "the receiver|$receive$headless" \
               "the transmitter|$transmit   (then type RED, 0,128,255, TIME, QUIT)"
