"""statesync: keeps a state education agency's copy of every district's data true to the district."""

__version__ = "0.1.0"
