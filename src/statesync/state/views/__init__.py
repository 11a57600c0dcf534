"""The state's pages."""
