"""Mail printed on the console where no mail server is set up: to standard error, so that a
command's own output (`--json` included) stays what it says it is."""

from __future__ import annotations

import sys

from django.core.mail.backends.console import EmailBackend


class ConsoleBackend(EmailBackend):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("stream", sys.stderr)
        super().__init__(*args, **kwargs)
