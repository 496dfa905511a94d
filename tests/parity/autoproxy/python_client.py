# Python Pyro4 client of a libpyro server's auto-proxied objects (autoproxy_test.cpp). Argument:
# the factory's URI; the serializer comes from PYRO_SERIALIZER. Prints what it received.
import sys

import Pyro4

factory = Pyro4.Proxy(sys.argv[1])
counter = factory.make_counter()
print("TYPE", type(counter).__module__ + "." + type(counter).__name__)
print("OBJECT", counter._pyroUri.object)
print("METHODS", ",".join(sorted(counter._pyroMethods)))
print("ATTRS", ",".join(sorted(counter._pyroAttrs)))
print("NEXT", counter.next(), counter.next(), counter.next())
counters = factory.make_counters(2)
print("LIST", ",".join(type(c).__name__ for c in counters), counters[1].next())
counter._pyroRelease()
for c in counters:
    c._pyroRelease()
factory._pyroRelease()
print("DONE")
