import os

from django.core.wsgi import get_wsgi_application

from statesync.core.gctune import collect_less_often

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statesync.settings")
application = get_wsgi_application()
collect_less_often()
