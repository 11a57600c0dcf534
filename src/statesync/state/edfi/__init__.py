"""The Ed-Fi door at the state (docs/EDFI.md): districts whose SIS speaks Ed-Fi send through it."""
