import json

from statesync.core.commands import EverydayCommand
from statesync.tools.demo.users import demo_users


class Command(EverydayCommand):
    help = "Create (or reset) the demo users; prints their new passwords as JSON."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(demo_users()))
