"""A district's batch at the state: decoded, judged by the rules, stored in the copy."""
