"""The tools the home page lists, in the order the product page names them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Tool:
    slug: str
    name: str
    description: str
    edition: str  # "district" or "state"
    url_name: str


TOOLS: tuple[Tool, ...] = (
    Tool(
        "batch",
        "Resync State Data - Batch",
        "Resynchronize whole DIS objects from the district edition to the state edition.",
        "district",
        "district:batch",
    ),
    Tool(
        "selective",
        "Resync State Data - Selective Sync",
        "Sync an individual person or enrollment, or a pasted list of them.",
        "district",
        "district:selective",
    ),
    Tool(
        "errorlog",
        "Error Log",
        "Why the state rejected records: by run, object, school and rule.",
        "district",
        "district:errors",
    ),
    Tool(
        "state",
        "Resync State Data (State)",
        "The state's view of every district's sync and resync.",
        "state",
        "state:districts",
    ),
)


def get_tools() -> list[Tool]:
    """The tools this process's role serves."""
    role = settings.ROLE
    return [t for t in TOOLS if role == "both" or t.edition == role]
