from django.conf import settings
from django.core.management.commands import migrate


class Command(migrate.Command):
    help = (
        "Prepare every database this role uses (the district's and the state's where one "
        "process runs both), or only the one named with --database."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=None)  # none named: every database

    def handle(self, *args, **options):
        if options["database"] is not None:
            return super().handle(*args, **options)
        for alias in settings.DATABASES:
            if options["verbosity"] >= 1 and len(settings.DATABASES) > 1:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Database {alias!r}:"))
            super().handle(*args, **{**options, "database": alias})
