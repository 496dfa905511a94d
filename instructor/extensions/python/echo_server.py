"""Reference solution of the echo extension (instructor only): echo, echo_upper and a call
counter that stays exact when several clients call at once."""
import threading

import Pyro4

from _serve import serve


@Pyro4.expose
class EchoServer(object):
    def __init__(self):
        self._lock = threading.Lock()  # calls arrive on several worker threads at once
        self._count = 0

    def _counted(self):
        with self._lock:
            self._count += 1

    def echo(self, message):
        self._counted()
        print("echo(%r)" % (message,))
        return message

    def echo_upper(self, message):
        self._counted()
        print("echo_upper(%r)" % (message,))
        return message.upper()

    def count(self):
        with self._lock:
            return self._count


if __name__ == "__main__":
    serve("echo-server", EchoServer(), "echo.server", "Echo server ready.")
