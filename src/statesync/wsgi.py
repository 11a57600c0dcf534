import os

from django.core.wsgi import get_wsgi_application

from statesync.core.gctune import collect_less_often
from statesync.core.stacks import dump_stacks_on_signal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statesync.settings")
application = get_wsgi_application()
collect_less_often()
dump_stacks_on_signal()
