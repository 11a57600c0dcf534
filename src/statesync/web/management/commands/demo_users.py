import json

from django.core.management.base import BaseCommand

from statesync.demo.users import demo_users


class Command(BaseCommand):
    help = "Create (or reset) the demo users; prints their new passwords as JSON."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(demo_users()))
