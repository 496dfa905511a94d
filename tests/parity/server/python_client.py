# Python Pyro4 client for server_test.cpp: the custom handshake, the current context and
# properties as remote attributes, against a server (libpyro or Pyro4) serving "parity.thermostat"
# with the handshake hook of server_test.cpp. Arguments: the URI; the serializer comes from
# PYRO_SERIALIZER. Prints one line per fact, checked by the test.
import sys
import uuid

import Pyro4
import Pyro4.errors

uri = sys.argv[1]


class Client(Pyro4.Proxy):
    """A proxy that keeps what Pyro4's hooks see: the handshake answer, the reply annotations,
    and sends an annotation of its own."""

    def _pyroValidateHandshake(self, response):
        self.__dict__["handshake_answer"] = response

    def _pyroResponseAnnotations(self, annotations, msgtype):
        self.__dict__.setdefault("replies", []).append(dict(annotations))

    def _pyroAnnotations(self):
        return {"XCLI": b"from-python"}


# The handshake: accepted with the right secret, the answer readable, the user kept per connection.
p = Client(uri)
p._pyroHandshake = {"user": "alice", "secret": "s3"}
p._pyroBind()
print("ANSWER", p.__dict__["handshake_answer"]["welcome"])
# The current context.
corr = uuid.UUID("12345678-1234-5678-1234-567812345678")
Pyro4.current_context.correlation_id = corr
facts = p.whoami()
local = p._pyroConnection.sock.getsockname()
print("ADDRESS", facts["address"] == "%s:%d" % (local[0], local[1]), facts["address"])
print("CORR", facts["corr"])
print("USER", facts["user"])
print("XCLI", facts["xcli"])
last = p.__dict__["replies"][-1]
print("XTRA", last.get("XTRA"), last.get("CORR") == corr.bytes)
Pyro4.current_context.correlation_id = None
# Properties as remote attributes.
print("TARGET", p.target)
p.target = 22.5
print("TARGET", p.target)
print("NAME", p.name)
try:
    p.name = "attic"
    print("NAME-SET accepted")
except AttributeError as error:
    print("NAME-SET AttributeError", error)
p._pyroRelease()

# A wrong secret: refused with the hook's reason.
q = Client(uri)
q._pyroHandshake = {"user": "mallory", "secret": "guess"}
try:
    q._pyroBind()
    print("REFUSED no")
except Pyro4.errors.CommunicationError as error:
    print("REFUSED", error)
print("DONE")
