"""Reference solution of the observer extension (instructor only): observers subscribe to a
topic or to everything; a message with a topic reaches that topic's observers and those without
one. The one-argument forms of the lab still work."""
import threading

import Pyro4
import Pyro4.errors

from _serve import serve


@Pyro4.expose
class Observable(object):
    def __init__(self):
        self._lock = threading.Lock()
        self._observers = []  # (proxy, topic or None)

    def register_observer(self, observer, topic=None):
        proxy = observer if isinstance(observer, Pyro4.Proxy) else Pyro4.Proxy(observer)
        proxy._pyroTimeout = 5
        address = str(proxy._pyroUri)
        with self._lock:
            self._observers = [o for o in self._observers if str(o[0]._pyroUri) != address]
            self._observers.append((proxy, topic))
            print("Observer registered: %s for %s (%d in total)"
                  % (address, topic or "every topic", len(self._observers)))

    def unregister_observer(self, observer):
        address = str(observer._pyroUri if isinstance(observer, Pyro4.Proxy) else observer)
        with self._lock:
            self._observers = [o for o in self._observers if str(o[0]._pyroUri) != address]

    def notify_observers(self, message, topic=None):
        with self._lock:
            current = [o for o in self._observers
                       if topic is None or o[1] is None or o[1] == topic]
        notified = 0
        for entry in current:
            try:
                entry[0].update(message)
                notified += 1
            except Pyro4.errors.CommunicationError:
                with self._lock:
                    if entry in self._observers:
                        self._observers.remove(entry)
        return notified


if __name__ == "__main__":
    serve("observable-server", Observable(), "example.observable", "Observable ready.")
