from django.core.management.base import CommandError

from statesync import config
from statesync.access import audit
from statesync.commands import EverydayCommand
from statesync.district import statechanges
from statesync.district.dis import state_client
from statesync.sync.client import StateError
from statesync.web.output import count


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
        sub.add_parser("check", help="Ask the state who this token belongs to.")
        sub.add_parser(
            "pull",
            help="Apply the state's changes now: state IDs, state-owned fields, notices "
            "(the worker does it every minute).",
        )

    def handle(self, *args, action, **opts):
        if action == "configure":
            path = config.save_dis_connection(opts["url"], opts["token"])
            audit.record_command("dis.configure", opts["url"], token_prefix=opts["token"][:10])
            self.stdout.write(f"Saved the DIS connection in {path}.")
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
