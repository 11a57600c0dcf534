"""statesync: keeps the state edition's copy of every district's data true to the district."""

__version__ = "0.1.0"
