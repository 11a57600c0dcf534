import time

from django.apps import apps
from django.core.management.base import CommandError

from statesync.access import audit
from statesync.core.commands import EverydayCommand
from statesync.tools.demo import seed


class Command(EverydayCommand):
    audits_itself = True  # records what it did; statesync.cli audits the rest at the door
    help = "Replace the district edition's data with a synthetic district (docs/DESIGN.md §4)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=seed.parse_scale,
            default="small",
            help=f"{', '.join(seed.SCALES)}, or a number of records (≥ 1000).",
        )
        parser.add_argument(
            "--year", type=int, default=2024, help="School end year (2024 = 2023-2024)."
        )
        parser.add_argument(
            "--years",
            type=int,
            choices=(1, 2),
            default=1,
            help="2 adds the school year before --year (continuing, graduated and new students).",
        )
        parser.add_argument("--no-defects", action="store_true", help="Plant no defects.")
        parser.add_argument("--random-seed", type=int, default=1)
        parser.add_argument(
            "--district-number", default="0001", help="The district's 4-digit state number."
        )
        parser.add_argument(
            "--movers",
            action="store_true",
            help="Share students with the districts numbered either side: some move mid-year, "
            "some look alike (for the state's Person Matching).",
        )

    def handle(
        self,
        *args,
        scale,
        year,
        years,
        no_defects,
        random_seed,
        district_number,
        movers,
        **options,
    ):
        if not apps.is_installed("statesync.district"):
            raise CommandError(
                "seed fills a district edition's database, and this is the state's "
                "(STATESYNC_ROLE=state): run it where STATESYNC_ROLE is district or both"
            )
        if not (
            len(district_number) == 4 and district_number.isascii() and district_number.isdigit()
        ):
            raise CommandError(f"--district-number {district_number!r} must be 4 digits")
        if not 2000 <= year <= 2100:
            raise CommandError(f"--year {year} is not a plausible school end year (2000-2100)")
        from statesync.district.models import SchoolYear  # noqa: PLC0415 (a district's only)

        started = time.perf_counter()
        district = seed.generate(
            scale,
            year,
            random_seed,
            defects=not no_defects,
            district_number=district_number,
            years=years,
            movers=movers,
        )
        generated = time.perf_counter()
        seed.write(district)
        if years == 2:
            SchoolYear.objects.get_or_create(end_year=year - 1)
        SchoolYear.activate(year)
        written = time.perf_counter()
        total = sum(district.counts().values())
        audit.record_command(
            "seed",
            "district data replaced",
            scale=str(scale),
            year=year,
            years=years,
            records=total,
        )
        self.say_counts(district)
        self.stdout.write(
            f"Seeded {total:,} records for school year "
            + (f"{year - 2}-{year - 1} and " if years == 2 else "")
            + f"{year - 1}-{year} "
            f"(scale {scale}, seed {random_seed}) in {written - started:.1f} s "
            f"(generate {generated - started:.1f} s, write {written - generated:.1f} s)."
        )

    def say_counts(self, district: seed.District) -> None:
        """One line per object: its records, and the defects planted among them."""
        for name, count in district.counts().items():
            planted = district.defects[name]
            self.stdout.write(
                f"  {name:<18} {count:>9,}" + (f"  ({planted} defects)" if planted else "")
            )
