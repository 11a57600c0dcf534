"""HTTP helpers every door shares: JSON errors, request IDs, safe redirects."""
