from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def coming_soon(request, tool: str):
    return render(request, "web/coming_soon.html", {"tool": tool})
