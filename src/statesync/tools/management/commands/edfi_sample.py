from django.conf import settings
from django.core.management.base import CommandError

from statesync.access import audit
from statesync.core.commands import EverydayCommand


class Command(EverydayCommand):
    audits_itself = True  # records what it did; statesync.cli audits the rest at the door
    help = (
        "Load the Ed-Fi sample district Grand Bend into an Ed-Fi district at the state, through "
        "the Ed-Fi door's own intake (docs/EDFI.md); registers the district if it is not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--number", default="0090", help="The district's 4-digit number.")
        parser.add_argument("--name", default="Grand Bend ISD (Ed-Fi)")
        parser.add_argument(
            "--students", type=int, help="Only the first N students (and as many sections)."
        )

    def handle(self, *args, number, name, students, **opts):
        if settings.ROLE not in ("state", "both"):
            raise CommandError("this is a district edition: Ed-Fi districts are the state's")
        # The state's models exist only where the state edition is installed.
        from statesync.state.models import District  # noqa: PLC0415
        from statesync.tools.demo import edfi  # noqa: PLC0415

        if not edfi.SAMPLE.exists():
            raise CommandError(
                f"the Grand Bend sample is not at {edfi.SAMPLE} (kept with the tests)"
            )
        district = District.objects.filter(number=number).first()
        if district is None:
            try:
                district = District.register(number, name)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        records = edfi.convert(edfi.SAMPLE)
        if students:
            records = edfi.first_students(records, students)
        outcome = edfi.load(district, records)
        accepted = sum(a for a, _ in outcome.values())
        refused = sum(r for _, r in outcome.values())
        audit.record_command(
            "state.edfi.sample", f"district {number}", accepted=accepted, refused=refused
        )
        for resource, (a, r) in outcome.items():
            self.stdout.write(f"{a:>6} accepted  {r:>4} refused  {resource}")
        self.stdout.write(
            f"District {number} {district.name}: {accepted:,} Ed-Fi records accepted, "
            f"{refused:,} refused (docs/EDFI.md says why)."
        )
