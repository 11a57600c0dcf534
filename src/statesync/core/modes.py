"""Resync modes (docs/DESIGN.md §6), shared by the district that runs them and the state."""

from django.db import models


class Mode(models.TextChoices):
    DIFFERENTIAL = "differential", "Differential"
    FORCE = "force", "Force"
    VERIFY = "verify", "Verify"


MODE_HELP = {
    Mode.DIFFERENTIAL: "Compare with the state and send only what is new, changed or deleted.",
    Mode.FORCE: "Send every record in scope, whether or not the state already has it.",
    Mode.VERIFY: "Compare only and list the differences; nothing is sent or changed.",
}

# What a verify counts per object (wire.ObjectSummary's comparison), in the order shown.
COMPARISON = (
    ("in_district", "In the district"),
    ("at_state", "At the state"),
    ("matching", "Matching"),
    ("different", "Different"),
    ("missing", "Missing at the state"),
    ("extra", "Extra at the state"),
    ("rejected", "Rejected"),
)
