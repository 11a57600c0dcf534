"""Database helpers both editions use: bounded conditions, bulk writes, planner statistics,
columns and routing."""
