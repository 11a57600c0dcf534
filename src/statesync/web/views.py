from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from statesync.web.tools import get_tools


@login_required
def home(request):
    return render(request, "web/home.html", {"tools": get_tools()})
