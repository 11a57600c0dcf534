"""The district's work, one module a service: resync, real-time, selective sync, the sync
down, school years, the error log, and what pages, the API and commands share of them."""
