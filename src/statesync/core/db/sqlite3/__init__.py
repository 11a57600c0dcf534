"""SQLite as Django's own backend, with each query's placeholders converted once (`base.py`)."""
