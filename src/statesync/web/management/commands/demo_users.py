import json

from statesync.commands import EverydayCommand
from statesync.demo.users import demo_users


class Command(EverydayCommand):
    help = "Create (or reset) the demo users; prints their new passwords as JSON."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(demo_users()))
