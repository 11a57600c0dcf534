from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from statesync.access.rights import TOOLS, has_right, is_security_role


def get_tools(user) -> list:
    """The tools this process serves that `user` may open (R)."""
    role = settings.ROLE
    return [
        t for t in TOOLS if (role == "both" or t.edition == role) and has_right(user, t.slug, "R")
    ]


@login_required
def home(request):
    return render(
        request,
        "web/home.html",
        {"tools": get_tools(request.user), "security_role": is_security_role(request.user)},
    )
