"""Tool rights (docs/DESIGN.md §9): R/W/A/D per tool, as Django permissions for groups or users.

A right that the table marks N/A has no permission at all, so it cannot be granted. W, A and
D include R: a tool you may use or clean up is a tool you may see. The product security role
(a superuser: "System Administrator") holds every right.
"""

from __future__ import annotations

from dataclasses import dataclass

LETTERS = ("R", "W", "A", "D")


@dataclass(frozen=True)
class Tool:
    slug: str
    name: str
    edition: str  # "district" or "state"
    url_name: str
    description: str
    rights: dict[str, str]  # letter → what it allows; letters missing here are N/A

    def codename(self, letter: str) -> str:
        return f"{self.slug}_{letter.lower()}"

    def meaning(self, letter: str) -> str:
        return self.rights.get(letter, "N/A")


TOOLS: tuple[Tool, ...] = (
    Tool(
        "batch",
        "Resync State Data - Batch",
        "district",
        "district:batch",
        "Resynchronize whole DIS objects from the district edition to the state edition.",
        {"R": "View and run batch sync"},
    ),
    Tool(
        "selective",
        "Resync State Data - Selective Sync",
        "district",
        "district:selective",
        "Sync an individual person or enrollment, or a pasted list of them.",
        {
            "R": "View the tool and sync history",
            "W": "Use the sync tool",
            "D": "Delete sync history",
        },
    ),
    Tool(
        "errorlog",
        "Error Log",
        "district",
        "district:errors",
        "Why the state rejected records: by run, object, school and rule.",
        {"R": "View and export", "D": "Clear the log"},
    ),
    Tool(
        "rollover",
        "Year Rollover",
        "district",
        "district:rollover",
        "Switch the scoped school year, after the year's end-of-year resync.",
        {"R": "View the scoped year and its mandatory resyncs", "W": "Roll over"},
    ),
    Tool(
        "verification",
        "Verification Summary",
        "district",
        "district:verification",
        "District and state records compared, per object and year, from the latest verify.",
        {"R": "View and export", "W": "Run a verify"},
    ),
    Tool(
        "messages",
        "Message History",
        "district",
        "district:messages",
        "Every message to and from the state: when, how many tries, what was sent, the answer.",
        {"R": "View, search and export", "W": "Send a rejected or unsent message again"},
    ),
    Tool(
        "datatool",
        "Data Tool",
        "district",
        "district:data-tool",
        "One record on both sides: the district's values, the last sent, the state's copy.",
        {"R": "Look records up", "W": "Sync a record now"},
    ),
    Tool(
        "transfers",
        "Student Records Transfer",
        "district",
        "district:transfers",
        "Ask for an incoming student's records; release or decline a request routed here.",
        {
            "R": "View requests, what came and its documents",
            "W": "Request, release and decline; receive records",
            "D": "Delete a request",
        },
    ),
    Tool(
        "exchange",
        "National Records Exchange",
        "district",
        "district:exchange",
        "Register with the national router, find districts in other states, ask them for a "
        "student's records; their requests arrive in Student Records Transfer's inbox.",
        {
            "R": "View the registration, the locator and national requests",
            "W": "Register, update and withdraw; request and release records",
        },
    ),
    Tool(
        "router",
        "National Records Exchange (Router)",
        "router",
        "router:districts",
        "The registry of districts taking part, their credentials, and every request relayed.",
        {
            "R": "View the registry and requests (never their content)",
            "W": "Add districts; revoke a district's credentials",
        },
    ),
    Tool(
        "statetransfers",
        "Student Records Transfer (State)",
        "state",
        "state:transfers",
        "Every records request between districts: its state, its age, who is slow to answer.",
        {"R": "View"},
    ),
    Tool(
        "state",
        "Resync State Data (State)",
        "state",
        "state:districts",
        "The state's view of every district's sync and resync.",
        {
            "R": "View districts' sync state",
            "W": "Request a district's resync",
            "A": "Issue, rotate and revoke a district's Ed-Fi client credentials",
        },
    ),
    Tool(
        "statemessages",
        "Message History (State)",
        "state",
        "state:districts",
        "Every message a district's doors brought the state, and what the state answered.",
        {"R": "View, search and export"},
    ),
    Tool(
        "recorddeleter",
        "Record Deleter",
        "state",
        "state:districts",
        "Remove from a district's copy records it no longer has or sent in error.",
        {"R": "View what a removal would take", "D": "Remove records"},
    ),
    Tool(
        "yearstatus",
        "Year Status",
        "state",
        "state:years",
        "Which districts have done each year's mandatory resyncs; close and reopen years.",
        {"R": "View", "W": "Request missing resyncs; close and reopen years"},
    ),
    Tool(
        "stateverification",
        "Verification Summary (State)",
        "state",
        "state:verification-summary",
        "Every district's latest verify, per object and year, with totals.",
        {"R": "View and export", "W": "Request a verify"},
    ),
    Tool(
        "personmatching",
        "Person Matching",
        "state",
        "state:matching",
        "People the state could not give a state ID without a person's eye: likely matches.",
        {"R": "View held people and their candidates", "W": "Match or give a new state ID"},
    ),
    Tool(
        "fieldsettings",
        "Synchronization Field Settings",
        "state",
        "state:field-settings",
        "Which fields the state owns: read-only in districts, its value synced down.",
        {
            "R": "View every field's owner",
            "W": "Change owners; edit a state-owned value on a district's page",
        },
    ),
    Tool(
        "conflicts",
        "Cross-District Conflicts",
        "state",
        "state:conflicts",
        "Students (by state ID) with overlapping primary enrollments in two districts.",
        {"R": "View"},
    ),
)
BY_SLUG = {t.slug: t for t in TOOLS}

# Every grantable right, as (codename, label) for the permission-holding model's Meta.
PERMISSIONS = tuple(
    (tool.codename(letter), f"{tool.name}: {letter} ({meaning})")
    for tool in TOOLS
    for letter, meaning in tool.rights.items()
)


class UnknownRight(ValueError):
    pass


def get_tool(slug: str) -> Tool:
    try:
        return BY_SLUG[slug]
    except KeyError:
        raise UnknownRight(f"unknown tool {slug!r}") from None


def is_security_role(user) -> bool:
    """Whether `user` holds the product security role (every right, the Tool Rights page)."""
    return bool(user and user.is_active and user.is_superuser)


def has_right(user, slug: str, letter: str) -> bool:
    """Whether `user` holds right `letter` on tool `slug` (through a group or directly)."""
    tool = get_tool(slug)
    if letter not in tool.rights:
        return False  # N/A rights exist for nobody
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    letters = tool.rights if letter == "R" else (letter,)
    return any(user.has_perm(f"access.{tool.codename(held)}") for held in letters)


def right_label(slug: str, letter: str) -> str:
    tool = get_tool(slug)
    return f"{letter} ({tool.meaning(letter)}) on {tool.name}"
