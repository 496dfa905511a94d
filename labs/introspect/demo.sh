#!/usr/bin/env bash
# The introspection exercise end to end: the name server, introspect-server, then
# introspect-client, which calls greet and add and lists what the handshake told it about the
# object. Each program's output is shown behind a coloured [name] prefix. Then everything is
# stopped with Ctrl-C and the same steps are printed for three terminals.
#
#   labs/introspect/demo.sh BIN_DIR [--tmux]        (./labkit demo introspect [--tmux])
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../common/demo_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../common/demo_lib.sh"

DEMO_USAGE="Usage: labs/introspect/demo.sh BIN_DIR [--tmux]   (./labkit demo introspect runs it)
Runs the name server, introspect-server and introspect-client; --tmux opens them in tmux panes."
demo_init introspect "$@"
server="$DEMO_BIN/introspect-server"
client="$DEMO_BIN/introspect-client"
demo_require "$server" "$client"

if $DEMO_TMUX; then
    demo_tmux "name server|$(demo_ns_command)|^URI = |rror" \
              "introspect server|$server|Press Ctrl-C|rror" \
              "introspect client|$client"
    exit 0
fi

# 1. The name server, then the server: it registers 'example.remote.object'.
demo_start_name_server
demo_start introspect-server "$server"
demo_wait_for introspect-server 'Press Ctrl-C'
# 2. The client: two remote calls, then the object's interface as the proxy learnt it.
demo_run introspect-client "$client"
demo_wait_for_line introspect-client "greet('World') -> Hello, World!"
demo_wait_for_line introspect-client 'add(2, 3) -> 5'
demo_wait_for introspect-client '^Remote methods: .*(add, greet|greet, add)'
# 3. Ctrl-C to the server (it takes its name out), then to the name server.
demo_stop introspect-server
demo_stop name-server

demo_say "done: the client called the object and listed its methods"
demo_terminals "the name server|$(demo_ns_command)" \
               "the introspect server|$server" \
               "the introspect client|$client"
