"""Checking tool rights in views: pages, htmx partials, form actions and API calls alike."""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from statesync.access.rights import has_right, is_security_role, right_label


def forbidden(request, missing: str):
    """The 403 page, naming the right that is missing."""
    return render(request, "access/forbidden.html", {"missing": missing}, status=403)


def requires_right(slug: str, letter: str):
    """Let the view run only for users who hold `letter` on tool `slug`."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_right(request.user, slug, letter):
                return forbidden(request, right_label(slug, letter))
            return view(request, *args, **kwargs)

        wrapper.required_right = (slug, letter)
        return wrapper

    return decorate


def requires_security_role(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_security_role(request.user):
            return forbidden(request, "the product security role (System Administrator)")
        return view(request, *args, **kwargs)

    wrapper.required_right = ("security", "role")
    return wrapper
