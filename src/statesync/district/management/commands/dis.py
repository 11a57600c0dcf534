import re
from urllib.parse import urlsplit

from django.core.management.base import CommandError

from statesync.access import audit
from statesync.core import config
from statesync.core.commands import EverydayCommand
from statesync.core.output import count
from statesync.core.sync.client import StateClient, StateError, StateRefused
from statesync.core.tokens import STATE_TOKEN_PREFIX
from statesync.district.services import statechanges
from statesync.district.services.dis import get_district_number, state_client


class Command(EverydayCommand):
    audits_itself = True  # records what it did; statesync.cli audits the rest at the door
    help = "Configure or check the district's connection to the state edition (DIS)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        configure = sub.add_parser(
            "configure", help="Save the state URL and this district's token."
        )
        configure.add_argument("--url", required=True)
        configure.add_argument("--token", required=True)
        configure.add_argument(
            "--no-check",
            action="store_true",
            help="Save without asking the state first (it is not up yet, as in the demo).",
        )
        sub.add_parser("check", help="Ask the state who this token belongs to.")
        sub.add_parser(
            "pull",
            help="Apply the state's changes now: state IDs, state-owned fields, notices "
            "(the worker does it every minute).",
        )

    def handle(self, *args, action, **opts):
        if action == "configure":
            connection = config.DisConnection(opts["url"].strip(), opts["token"].strip())
            checked = _check(connection) if not opts["no_check"] else "not checked (--no-check)"
            path = config.save_dis_connection(connection.state_url, connection.token)
            audit.record_command("dis.configure", opts["url"], token_prefix=opts["token"][:10])
            self.stdout.write(f"Saved the DIS connection in {path}: {checked}.")
            return
        if action == "pull":
            try:
                with state_client(retries=0) as client:
                    applied = statechanges.take_state_changes(client)
            except StateError as exc:
                raise CommandError(str(exc)) from None
            audit.record_command("dis.pull", "", applied=applied)
            self.stdout.write(f"Applied {count(applied, 'change')} from the state.")
            return
        try:
            with state_client(retries=0) as client:
                who = client.whoami()
        except StateError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Connected: the token acts for district {who.district} {who.name}.")


def _check(connection: config.DisConnection) -> str:
    """What the state says of `connection`; CommandError (nothing saved) when it is wrong."""
    url = urlsplit(connection.state_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise CommandError(
            f"Not saved: {connection.state_url!r} is not the state's web address "
            "(http:// or https:// and a host name)"
        )
    if not TOKEN_SHAPE.fullmatch(connection.token):
        raise CommandError(
            f"Not saved: a state token starts with {STATE_TOKEN_PREFIX!r} and is printed once "
            "by `statesync state add-district` or `issue-token`"
        )
    try:
        number = get_district_number()
    except StateRefused:
        number = None
    try:
        with StateClient(number or "0000", connection, retries=0) as client:
            if number is None:  # no District record yet: only the address can be checked
                client.answers()
                return "the state answers; the token is checked once the District is entered"
            who = client.whoami()
    except StateError as exc:
        raise CommandError(f"Not saved: {exc} (--no-check saves it anyway)") from None
    return f"the token acts for district {who.district} {who.name}"


TOKEN_SHAPE = re.compile(re.escape(STATE_TOKEN_PREFIX) + r"[A-Za-z0-9_-]{8,}")
