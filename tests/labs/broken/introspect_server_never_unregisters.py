"""A broken introspect server: serves correctly, but on Ctrl-C leaves its name registered."""
from _twins import serve_and_forget_the_name
from introspect_server import RemoteObject

serve_and_forget_the_name("example.remote.object", RemoteObject(), "Remote object ready.")
