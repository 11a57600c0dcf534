"""The engine and what both editions agree on: the catalogue, the wire, the sync engine, the
database helpers, and the words and files every door writes. Nothing here imports an edition."""
