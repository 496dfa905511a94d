"""A broken echo server for the proof tests: serves, but never registers 'echo.server'."""
import Pyro4


@Pyro4.expose
class EchoServer(object):
    def echo(self, message):
        return message


with Pyro4.Daemon() as daemon:
    print("Echo server ready. Object URI: %s" % daemon.register(EchoServer()), flush=True)
    daemon.requestLoop()
