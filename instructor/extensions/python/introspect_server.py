"""Reference solution of the introspect extension (instructor only): methods with keyword
defaults, greet(name, greeting="Hello") and add(a, b=1)."""
import Pyro4

from _serve import serve


@Pyro4.expose
class RemoteObject(object):
    def greet(self, name, greeting="Hello"):
        return "%s, %s!" % (greeting, name)

    def add(self, a, b=1):
        return a + b


if __name__ == "__main__":
    serve("introspect-server", RemoteObject(), "example.remote.object", "Remote object ready.")
