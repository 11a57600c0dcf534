"""The demo and the bench, and the commands that reach them."""
