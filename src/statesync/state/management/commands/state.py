from django.core.management.base import BaseCommand, CommandError

from statesync.state.models import District


class Command(BaseCommand):
    help = "Manage the state edition's district registry and API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add-district", help="Register a district and print its first token.")
        add.add_argument("--number", required=True, help="4-digit state district number.")
        add.add_argument("--name", required=True)
        token = sub.add_parser("issue-token", help="Print a new token for a district.")
        token.add_argument("--number", required=True)
        sub.add_parser("list", help="List registered districts.")

    def handle(self, *args, action, **opts):
        if action == "add-district":
            try:
                district = District.register(opts["number"], opts["name"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self._print_token(district)
        elif action == "issue-token":
            district = District.objects.filter(number=opts["number"]).first()
            if district is None:
                raise CommandError(f"district {opts['number']} is not registered")
            self._print_token(district)
        else:
            for district in District.objects.all():
                self.stdout.write(f"{district.number}  {district.name}")

    def _print_token(self, district: District) -> None:
        token = district.issue_token()
        self.stderr.write(
            f"District {district.number} {district.name}: token (shown once, keep it):"
        )
        self.stdout.write(token)
