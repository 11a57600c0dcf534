"""Bearer tokens: made random, shown once, kept only as a hash (core/hashedtokens.py keeps them).

Plain functions, importable before Django is set up (the demo and the bench build on them)."""

from __future__ import annotations

import hashlib
import secrets

STATE_TOKEN_PREFIX = "sst_"  # a district's token for the state API


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> tuple[str, str]:
    """A fresh token and its hash; store the hash, show the token once."""
    token = prefix + secrets.token_urlsafe(32)
    return token, hash_token(token)
