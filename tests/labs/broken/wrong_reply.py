"""A broken echo server for the proof tests: registers 'echo.server' but answers in lower case."""
import Pyro4


@Pyro4.expose
class EchoServer(object):
    def echo(self, message):
        return message.lower() if isinstance(message, str) else message


with Pyro4.Daemon() as daemon:
    Pyro4.locateNS().register("echo.server", daemon.register(EchoServer()))
    print("Echo server ready.", flush=True)
    daemon.requestLoop()
