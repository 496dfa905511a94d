# A Python Pyro4 daemon for server_test.cpp: validateHandshake wants {"user", "secret": "s3"}
# and answers {"welcome": user}; "parity.thermostat" reports its current context and has the
# properties target (read-write) and name (read-only). Argument: the port; prints "URI <uri>".
import sys

import Pyro4


class Daemon(Pyro4.Daemon):
    def validateHandshake(self, conn, data):
        if not isinstance(data, dict) or data.get("secret") != "s3":
            raise ValueError("bad secret")
        conn.user = data["user"]
        return {"welcome": data["user"]}


@Pyro4.expose
class Thermostat(object):
    def __init__(self):
        self._target = 20.0

    def whoami(self):
        context = Pyro4.current_context
        context.response_annotations["XTRA"] = b"extra!"
        xcli = context.annotations.get("XCLI")
        return {
            "address": "%s:%d" % context.client_sock_addr[:2],
            "corr": str(context.correlation_id),
            "user": getattr(context.client, "user", None),
            "xcli": xcli.decode() if xcli is not None else None,
        }

    @property
    def target(self):
        return self._target

    @target.setter
    def target(self, value):
        self._target = value

    @property
    def name(self):
        return "hall"


daemon = Daemon(host="127.0.0.1", port=int(sys.argv[1]))
uri = daemon.register(Thermostat(), "parity.thermostat")
print("URI", uri, flush=True)
daemon.requestLoop()
