"""The district's worker: Huey tasks, runs kept alive and resumed, outages waited out."""
