"""The state's ingest API: one district's token, one district's data."""
