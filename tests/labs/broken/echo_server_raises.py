"""A broken echo server for the proof tests: echoes text, but raises TypeError for anything else
(the lab asks for every type), so the test's own calls from Python get a remote exception."""
import Pyro4


@Pyro4.expose
class EchoServer(object):
    def echo(self, message):
        if not isinstance(message, str):
            raise TypeError("echo() takes text only")
        print("echo(%r)" % (message,), flush=True)
        return message


with Pyro4.Daemon() as daemon:
    Pyro4.locateNS().register("echo.server", daemon.register(EchoServer()))
    print("Echo server ready.", flush=True)
    daemon.requestLoop()
