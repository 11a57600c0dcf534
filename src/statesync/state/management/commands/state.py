import argparse
import json

from django.core.management.base import CommandError

from statesync.access import audit
from statesync.access.audit import operating_system_user
from statesync.core import catalog
from statesync.core.commands import EverydayCommand
from statesync.core.output import count, say, when
from statesync.state.models import ApiToken, District, EdfiClient, StateYear
from statesync.state.reports.yearstatus import year_status


class Command(EverydayCommand):
    audits_itself = True  # records what it did; statesync.cli audits the rest at the door
    help = "Manage the state edition's district registry and API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add-district", help="Register a district and print its first token.")
        add.add_argument("--number", required=True, help="4-digit state district number.")
        add.add_argument("--name", required=True)
        token = sub.add_parser("issue-token", help="Print a new token for a district.")
        token.add_argument("--number", required=True)
        token.add_argument("--label", default="", help="What the token is for.")
        token.add_argument(
            "--rotate",
            action="store_true",
            help="Revoke the district's other tokens once the new one exists.",
        )
        tokens = sub.add_parser("tokens", help="List tokens: district, prefix, last use, state.")
        tokens.add_argument("--number", help="Only this district's.")
        revoke = sub.add_parser("revoke-token", help="Revoke a token by the prefix 'tokens' shows.")
        revoke.add_argument("prefix")
        sub.add_parser("list", help="List registered districts.")
        edfi = sub.add_parser(
            "edfi-client",
            help="Issue Ed-Fi client credentials (key and secret, shown once) for a district, "
            "or --reader for the state's read-only client; --rotate KEY or --revoke KEY.",
        )
        who = edfi.add_mutually_exclusive_group(required=True)
        who.add_argument("--number", help="The district the client sends for.")
        who.add_argument("--reader", action="store_true", help="Read every district's records.")
        who.add_argument("--rotate", metavar="KEY", help="A new secret for this client.")
        who.add_argument("--revoke", metavar="KEY", help="Stop this client for good.")
        who.add_argument("--list", action="store_true", help="List clients with their last use.")
        edfi.add_argument("--label", default="", help="What the client is for.")
        edfi.add_argument("--json", action="store_true", help="Print JSON.")
        years = sub.add_parser(
            "years", help="Year Status: each district's mandatory resyncs around a year."
        )
        years.add_argument("--year", type=_end_year, help="School end year; default: current.")
        for name, what in (("close-year", "Close"), ("reopen-year", "Reopen")):
            closing = sub.add_parser(
                name, help=f"{what} a school year (a closed one takes no changes: E-YEAR-CLOSED)."
            )
            closing.add_argument("year", type=_end_year, help="School end year, e.g. 2023.")

    def handle(self, *args, action, **opts):
        if action == "add-district":
            try:
                district = District.register(opts["number"], opts["name"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            audit.record_command("state.district.add", f"district {district.number}")
            self._print_token(district, "", rotate=False)
        elif action == "issue-token":
            self._print_token(self._district(opts["number"]), opts["label"], opts["rotate"])
        elif action == "tokens":
            self._list_tokens(opts["number"])
        elif action == "revoke-token":
            self._revoke(opts["prefix"])
        elif action == "edfi-client":
            self._edfi_client(opts)
        elif action == "years":
            self._years(opts["year"] or StateYear.current_year())
        elif action in ("close-year", "reopen-year"):
            self._close(opts["year"], action == "close-year")
        else:
            for district in District.objects.all():
                self.stdout.write(f"{district.number}  {district.name}")

    def _years(self, year: int) -> None:
        self.stdout.write(
            f"Year Status {catalog.year_label(year)}: end-of-year resync of "
            f"{catalog.year_label(year - 1)}, start-of-year resync of {catalog.year_label(year)}"
        )
        for row in year_status(year):
            end, start = row.end_of_year, row.start_of_year
            self.stdout.write(
                f"{row.district.number}  {'late' if row.late else 'done':<4}  "
                f"end: {when(end['finished_at']) if end else 'missing':<23}  "
                f"start: {when(start['finished_at']) if start else 'missing'}"
            )

    def _close(self, year: int, close: bool) -> None:
        label = catalog.year_label(year)
        if close:
            StateYear.close(year, f"{operating_system_user()} (command line)")
            audit.record_command("state.year_close", f"school year {label}")
            self.stdout.write(f"{label} is closed: the state rejects any change to it.")
        else:
            StateYear.reopen(year)
            audit.record_command("state.year_reopen", f"school year {label}")
            self.stdout.write(f"{label} is open again.")

    def _district(self, number: str) -> District:
        district = District.objects.filter(number=number).first()
        if district is None:
            raise CommandError(f"district {number} is not registered")
        return district

    def _edfi_client(self, opts) -> None:
        if opts["list"]:
            return self._list_edfi_clients(opts["json"])
        if opts["rotate"] or opts["revoke"]:
            key = opts["rotate"] or opts["revoke"]
            client = EdfiClient.objects.filter(key=key, revoked_at=None).first()
            if client is None:
                raise CommandError(f"no live Ed-Fi client has key {key!r}; --list lists them")
            owner = client.district.number if client.district else "state reader"
            if opts["revoke"]:
                client.revoke()
                audit.record_command("state.edfi.client.revoke", f"Ed-Fi client {key}", owner=owner)
                say(self, f"Revoked Ed-Fi client {key} ({owner}); its tokens stop now.")
                return None
            secret = client.rotate()
            audit.record_command("state.edfi.client.rotate", f"Ed-Fi client {key}", owner=owner)
            return self._print_credentials(client, secret, opts["json"])
        district = None if opts["reader"] else self._district(opts["number"])
        client, secret = EdfiClient.issue(district, opts["label"])
        audit.record_command(
            "state.edfi.client.issue",
            f"Ed-Fi client {client.key}",
            owner=district.number if district else "state reader",
        )
        return self._print_credentials(client, secret, opts["json"])

    def _print_credentials(self, client: EdfiClient, secret: str, as_json: bool) -> None:
        owner = client.district.number if client.district else None
        if as_json:
            payload = {
                "key": client.key,
                "secret": secret,
                "district": owner,
                "reader": owner is None,
            }
            self.stdout.write(json.dumps(payload))
            return
        say(
            self,
            f"Ed-Fi client for {f'district {owner}' if owner else 'the state (read only)'}; "
            "the secret is shown once, keep it:",
        )
        self.stdout.write(f"key: {client.key}")
        self.stdout.write(f"secret: {secret}")

    def _list_edfi_clients(self, as_json: bool) -> None:
        rows = [
            {
                "key": c.key,
                "district": c.district.number if c.district else None,
                "label": c.label,
                "state": "revoked" if c.revoked_at else "live",
                "last_used": when(c.last_used_at) or "never",
            }
            for c in EdfiClient.objects.select_related("district").order_by("pk")
        ]
        if as_json:
            self.stdout.write(json.dumps(rows))
            return
        self.stdout.write(f"{'key':<22}  {'district':<8}  {'state':<8}  {'last used':<25}  label")
        for row in rows:
            self.stdout.write(
                f"{row['key']:<22}  {row['district'] or 'reader':<8}  {row['state']:<8}  "
                f"{row['last_used']:<25}  {row['label']}"
            )

    def _print_token(self, district: District, label: str, rotate: bool) -> None:
        live_before = district.tokens.filter(revoked_at__isnull=True).count()
        token = district.issue_token(label, rotate=rotate)
        audit.record_command(
            "state.token.issue",
            f"district {district.number}",
            prefix=token[:10],
            rotated=live_before if rotate else 0,
        )
        say(self, f"District {district.number} {district.name}: token (shown once, keep it):")
        self.stdout.write(token)
        if rotate:
            say(self, f"Revoked the district's other live {count(live_before, 'token')}.")

    def _list_tokens(self, number: str | None) -> None:
        tokens = ApiToken.objects.select_related("district").order_by("district__number", "pk")
        if number:
            tokens = tokens.filter(district=self._district(number))
        self.stdout.write(
            f"{'district':<8}  {'prefix':<12}  {'state':<8}  {'last used':<25}  label"
        )
        for t in tokens:
            state = "revoked" if t.revoked_at else "live"
            used = when(t.last_used_at) or "never"
            self.stdout.write(
                f"{t.district.number:<8}  {t.prefix:<12}  {state:<8}  {used:<25}  {t.label}"
            )

    def _revoke(self, prefix: str) -> None:
        live = ApiToken.objects.filter(prefix=prefix.rstrip("…"), revoked_at__isnull=True)
        found = list(live.select_related("district"))
        if not found:
            raise CommandError(
                f"no live token starts {prefix!r}; 'statesync state tokens' lists them"
            )
        if len(found) > 1:
            raise CommandError(f"{len(found)} live tokens start {prefix!r}; revoke by district")
        token = found[0]
        token.revoke()
        audit.record_command(
            "state.token.revoke", f"district {token.district.number}", prefix=token.prefix
        )
        self.stdout.write(f"Revoked token {token.prefix}… of district {token.district.number}.")


def _end_year(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100):
        raise argparse.ArgumentTypeError(f"{text!r} is not a school end year (2000-2100)")
    return int(text)
