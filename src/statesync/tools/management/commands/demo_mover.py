from django.core.management.base import CommandError

from statesync.access.audit import record_command
from statesync.core import catalog
from statesync.core.commands import EverydayCommand
from statesync.core.sync.client import StateError
from statesync.tools.demo.seed.movers import winter_break


class Command(EverydayCommand):
    audits_itself = True
    help = (
        "For the demo, in a district synced after its neighbour: ask for the records of the "
        "first student who moved here from the district before (they enrolled after the "
        "winter break); with --across, of the first student, from a district in another state "
        "through the National Records Exchange. Prints where the request went."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--across", metavar="CODE", help="The registered district to ask (e.g. IL-0001)."
        )

    def handle(self, *args, across, **options):
        if across:
            return self._across(across)
        # A district's own (the tools' commands load in every role):
        from statesync.district.models import SchoolYear, dis_model  # noqa: PLC0415
        from statesync.district.services import transfers  # noqa: PLC0415
        from statesync.district.services.dis import state_client  # noqa: PLC0415

        _, first_day = winter_break(SchoolYear.current())
        arrived = dis_model(catalog.ENROLLMENT).objects.filter(start_date=first_day)
        people = dis_model(catalog.PERSON).objects.filter(
            pk__in=arrived.values("person_id"), **{f"{catalog.STATE_ID_FIELD}__isnull": False}
        )
        person = people.order_by("pk").first()
        if person is None:
            raise CommandError("no student who moved here has a state ID yet: resync first")
        try:
            with state_client(retries=1) as client:
                done = transfers.request(client, person, "demo (command line)")
        except (StateError, transfers.TransferError) as exc:
            raise CommandError(f"the demo's records request was not made: {exc}") from None
        record_command("transfer.request", f"transfer {done.state_ref}", person=person.pk)
        self.stdout.write(
            f"{person.first_name} {person.last_name}: request {done.state_ref}, "
            f"{done.status_label.lower()} {done.other_district}"
        )

    def _across(self, code: str) -> None:
        """The first student here asks district `code` in another state for their records."""
        from statesync.district.models import dis_model  # noqa: PLC0415
        from statesync.district.services import exchange  # noqa: PLC0415

        enrolled = dis_model(catalog.ENROLLMENT).objects.order_by("pk").first()
        if enrolled is None:
            raise CommandError("this district has no enrollment: seed it first")
        person = enrolled.person
        school = enrolled.calendar.school.name
        try:
            done = exchange.request(person, code, "demo (command line)", former_school=school)
        except (StateError, exchange.TransferError) as exc:
            raise CommandError(f"the demo's national request was not made: {exc}") from None
        record_command("transfer.request", f"transfer {done.ref}", person=person.pk, national=True)
        self.stdout.write(
            f"{person.first_name} {person.last_name}: request {done.ref}, "
            f"{done.status_label.lower()} {done.other_district}"
        )
