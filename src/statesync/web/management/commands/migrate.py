from django.conf import settings
from django.core.management.commands import migrate

from statesync.core.db.routers import OWN_DATABASE


class Command(migrate.Command):
    help = (
        "Prepare every database this role uses, or only --database's. Where one process runs "
        "both editions, that is the district's and the state's."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=None)  # none named: every database

    def get_check_kwargs(self, options):
        kwargs = super().get_check_kwargs(options)
        if options["database"] is None:
            kwargs["databases"] = list(settings.DATABASES)
        return kwargs

    def handle(self, *args, **options):
        if options["database"] is not None:
            return super().handle(*args, **options)
        for alias in settings.DATABASES:
            if options["verbosity"] >= 1 and len(settings.DATABASES) > 1:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Database {alias!r}:"))
            super().handle(*apps_of(alias, args), **{**options, "database": alias})


def apps_of(alias: str, named: tuple) -> tuple:
    """The apps to migrate on `alias`: what was named, or on an edition's own database (the
    state's, the router's) only that edition's app — every other app's migrations would run
    there as no-ops, seconds each time."""
    if named or alias == "default":
        return named
    return tuple(label for label, own in OWN_DATABASE.items() if own == alias)
