"""A broken observable server: accepts observers and answers notify_observers with their count,
but never calls update() on any of them."""
import Pyro4

from _twins import serve_and_forget_the_name
from observable_server import Observable


@Pyro4.expose
class SilentObservable(Observable):
    def notify_observers(self, message):
        print("Notifying %d observer(s): %r" % (len(self._observers), message))
        return len(self._observers)


serve_and_forget_the_name("example.observable", SilentObservable(), "Observable ready.")
