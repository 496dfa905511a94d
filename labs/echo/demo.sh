#!/usr/bin/env bash
# The echo exercise end to end: the name server, echo-server, then echo-client twice (the default
# HOLA and a message of your own), each program's output behind a coloured [name] prefix. Then
# everything is stopped with Ctrl-C and the same steps are printed for three terminals.
#
#   labs/echo/demo.sh BIN_DIR [--tmux] [MESSAGE]        (./labkit demo echo [--tmux] [MESSAGE])
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../common/demo_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../common/demo_lib.sh"

DEMO_USAGE="Usage: labs/echo/demo.sh BIN_DIR [--tmux] [MESSAGE]   (./labkit demo echo runs it)
Runs the name server, echo-server and echo-client; --tmux opens them in three tmux panes."
demo_init echo "$@"
server="$DEMO_BIN/echo-server"
client="$DEMO_BIN/echo-client"
demo_require "$server" "$client"
message="${DEMO_ARGS[0]:-¡Hola, mundo!}"

if $DEMO_TMUX; then
    demo_tmux "name server|$(demo_ns_command)|^URI = |rror" \
              "echo server|$server|Press Ctrl-C|rror" \
              "echo client|$client"
    exit 0
fi

# 1. The name server first: the server registers there, the client looks the name up there.
demo_start_name_server
# 2. The server: it registers 'echo.server' and waits for calls.
demo_start echo-server "$server"
demo_wait_for echo-server 'Press Ctrl-C'
# 3. The client, twice: each run sends one message and prints the reply.
demo_run echo-client "$client"
demo_wait_for_line echo-client 'Reply: HOLA'
demo_run echo-client "$client" "$message"
demo_wait_for_line echo-client "Reply: $message"
# 4. Ctrl-C to the server (it takes its name out of the name server), then to the name server.
demo_stop echo-server
demo_stop name-server

demo_say "done: the echo server sent every message back unchanged"
demo_terminals "the name server|$(demo_ns_command)" \
               "the echo server|$server" \
               "the echo client|$client \"$message\""
