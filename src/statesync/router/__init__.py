"""The National Records Exchange's router, the third edition (docs/EXCHANGE.md): the registry
of districts taking part, the District Locator, and requests relayed across state lines."""
