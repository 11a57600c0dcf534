"""People at the state: state IDs given and matched, and the values the state owns
(docs/STATE_OWNED.md)."""
