"""A broken echo server: serves correctly, but on Ctrl-C leaves 'echo.server' registered."""
from _twins import serve_and_forget_the_name
from echo_server import EchoServer

serve_and_forget_the_name("echo.server", EchoServer(), "Echo server ready.")
