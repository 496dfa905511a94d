"""A broken observable server: serves correctly, but on Ctrl-C leaves its name registered."""
from _twins import serve_and_forget_the_name
from observable_server import Observable

serve_and_forget_the_name("example.observable", Observable(), "Observable ready.")
