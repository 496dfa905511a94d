"""The example page (gateway/web/example.html) in a real browser: headless Chromium loads it from
pyro-httpgateway --example-page, the page calls http.echoserver's echo() through the gateway, and
the echoed text must appear in the page.

    browser_test.py --bin BUILD/bin [--chromium /usr/bin/chromium] [--python /usr/bin/python3]

Exits 77 (ctest: skipped) when there is no Chromium. Every process it starts is stopped by pid.
"""

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))

import environment  # noqa: E402  (tests/support)
import processes  # noqa: E402

MESSAGE = "Hello Pyro, from Chromium"


def start(argv, env, ready, what, started):
    process = processes.Process(argv, env=env, merge_stderr=True)
    started.append(process)
    if process.wait_for(ready, timeout=20) is None:
        raise RuntimeError("%s did not start (%s):\n%s" % (what, process.state(),
                                                           "\n".join(process.lines())))
    return process


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--python", default="/usr/bin/python3")
    options = parser.parse_args()
    if not os.access(options.chromium, os.X_OK):
        print("SKIP: no Chromium at %s (./labkit setup installs it)" % options.chromium)
        return 77

    ns_port, gateway_port = processes.free_port(), processes.free_port()
    env = environment.pyro_environment(PYRO_NS_HOST="127.0.0.1", PYRO_NS_PORT=str(ns_port))
    started = []
    profile = tempfile.mkdtemp(prefix="pyro-gateway-chromium-")
    try:
        start([os.path.join(options.bin, "pyro-ns"), "-n", "127.0.0.1", "-p", str(ns_port)],
              env, r"^URI = ", "pyro-ns", started)
        start([options.python, os.path.join(HERE, "gateway_server.py")], env, r"^ready$",
              "gateway_server.py", started)
        start([os.path.join(options.bin, "pyro-httpgateway"), "-H", "127.0.0.1", "-p",
               str(gateway_port), "--example-page"], env, r"gateway running on http://",
              "pyro-httpgateway", started)
        url = "http://127.0.0.1:%d/example.html?message=%s" % (
            gateway_port, urllib.parse.quote(MESSAGE))
        # The virtual time budget lets the page's fetch finish before the DOM is dumped.
        finished = processes.run(
            [options.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--user-data-dir=" + profile, "--virtual-time-budget=5000",
             "--dump-dom", url], timeout=60, env=env)
        if finished.timed_out:
            print("FAILED: chromium did not finish within 60 s")
            return 1
        echoed = re.search(r'<pre id="echoed">(.*?)</pre>', finished.output, re.S)
        shown = echoed.group(1) if echoed else None
        if shown != MESSAGE:
            print("FAILED: the echoed text is not in the page; it shows %r\n%s"
                  % (shown, finished.output[-3000:]))
            return 1
        print("the page shows the echo: %r" % shown)
        return 0
    finally:
        for process in reversed(started):
            process.stop(first=signal.SIGTERM, grace=5.0)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
