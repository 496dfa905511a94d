"""A broken colorsquare receiver: serves correctly, but on Ctrl-C leaves its name registered."""
from _twins import serve_and_forget_the_name
from colorsquare_receive import ColorSquare

serve_and_forget_the_name("example.colorsquare", ColorSquare(), "Colour square ready.")
