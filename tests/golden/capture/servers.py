"""Server processes and in-process helpers of a capture.

Every process is started here, remembered by its Popen handle and stopped by that handle
(terminate, then kill after a grace period) — never by name.
"""

import os
import socket
import subprocess
import threading
import time

from .relay import HOST

PYTHON = "/usr/bin/python3"
PYRO4_NS = "/usr/bin/pyro4-ns"
PYRO4_NSC = "/usr/bin/pyro4-nsc"
PYRO4_ECHO = "/usr/bin/pyro4-test-echoserver"
LAB_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab_server.py")


def child_environment(extra=None, pyro_settings=True):
    """The environment of every program the capture runs: fixed hash seed, no stray PYRO_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYRO_")}
    env.update(
        {
            "PYTHONHASHSEED": "0",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "COLUMNS": "80",  # optparse wraps --help text at $COLUMNS
        }
    )
    for key in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONWARNINGS"):
        env.pop(key, None)
    if pyro_settings:
        # broadcasts (if anything tried one) stay on the loopback interface
        env["PYRO_BROADCAST_ADDRS"] = "127.0.0.1"
        env["PYRO_NS_HOST"] = HOST
    env.update(extra or {})
    return env


class Processes:
    def __init__(self, workdir):
        self.workdir = workdir
        self.running = {}  # name -> (Popen, log path, argv, port, extra env)

    def start(self, name, argv, port, extra_env=None):
        log_path = os.path.join(self.workdir, name + ".log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=child_environment(extra_env),
                cwd=self.workdir,
            )
        self.running[name] = (proc, log_path, argv, port, extra_env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                return proc
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(
                        "%s exited with %s before listening on %d:\n%s"
                        % (name, proc.returncode, port, self.output(name))
                    )
                time.sleep(0.05)
        raise RuntimeError("%s is not listening on port %d after 20 s" % (name, port))

    def wait_for_output(self, name, text, timeout=5.0):
        """Wait until the program printed `text` (start-up banners end after the port opens)."""
        deadline = time.monotonic() + timeout
        while text not in self.output(name) and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.output(name)

    def output(self, name):
        with open(self.running[name][1], encoding="utf-8", errors="replace") as f:
            return f.read()

    def revive(self):
        """Start again any server that died (a scenario must not take the next ones down)."""
        for name, (proc, _log, argv, port, extra) in list(self.running.items()):
            if proc.poll() is not None:
                print("warning: %s had exited (%s); restarting it" % (name, proc.returncode))
                self.start(name, argv, port, extra)

    def stop(self, name):
        proc = self.running[name][0]
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self):
        for name in reversed(list(self.running)):
            self.stop(name)


class StandIn:
    """A server that answers MSG_CONNECT without metadata (like a minimal or older daemon).

    Its frames are made with Pyro4's own Message class and serializers; it shows what a real
    Pyro4 proxy does next (it asks Pyro.Daemon.get_metadata before the first call).
    """

    def __init__(self, port):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, port))
        self.listener.listen(8)
        self.thread = threading.Thread(target=self._accept_loop, name="stand-in", daemon=True)
        self.thread.start()

    def _accept_loop(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(sock,), daemon=True).start()

    @staticmethod
    def _session(sock):
        from Pyro4 import message, socketutil, util

        connection = socketutil.SocketConnection(sock)
        try:
            request = message.Message.recv(connection, [message.MSG_CONNECT])
            serializer = util.get_serializer_by_id(request.serializer_id)

            def answer(kind, value, seq):
                data, _compressed = serializer.serializeData(value)
                reply = message.Message(kind, data, request.serializer_id, 0, seq)
                connection.send(reply.to_bytes())

            answer(message.MSG_CONNECTOK, "hello", request.seq)
            while True:
                call = message.Message.recv(connection, [message.MSG_INVOKE])
                objectid, method, args, _kwargs = serializer.deserializeCall(call.data)
                if objectid == "Pyro.Daemon" and method == "get_metadata":
                    result = {"methods": ["echo"], "oneway": [], "attrs": []}
                else:
                    result = args[0]
                answer(message.MSG_RESULT, result, call.seq)
        except Exception:
            pass  # the client went away
        finally:
            connection.close()

    def close(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        self.thread.join(2)


class BroadcastResponder:
    """Pyro4's own BroadcastServer, bound to 127.0.0.1 (pyro4-ns refuses to run one on loopback)."""

    def __init__(self, ns_uri, port):
        import Pyro4
        from Pyro4 import naming

        self.server = naming.BroadcastServer(Pyro4.URI(ns_uri), bchost=HOST, bcport=port)
        self.server.runInThread()

    def close(self):
        self.server.close()
