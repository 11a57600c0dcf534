"""Tool Rights, the audit log, and a user's own API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group, Permission
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from statesync.access import audit
from statesync.access.decorators import requires_security_role
from statesync.access.models import AuditEntry, PersonalToken
from statesync.access.rights import LETTERS, TOOLS, has_right


def _tool_permissions() -> dict[str, Permission]:
    codenames = [tool.codename(letter) for tool in TOOLS for letter in tool.rights]
    found = Permission.objects.filter(content_type__app_label="access", codename__in=codenames)
    return {p.codename: p for p in found}


def _holder(request):
    """The group or user whose rights the page shows: ?group=ID or ?user=ID."""
    params = request.POST if request.method == "POST" else request.GET
    if params.get("user", "").isdigit():
        return get_object_or_404(get_user_model(), pk=int(params["user"])), "user"
    if params.get("group", "").isdigit():
        return get_object_or_404(Group, pk=int(params["group"])), "group"
    return None, ""


@requires_security_role
def tool_rights(request):
    holder, kind = _holder(request)
    perms = _tool_permissions()
    if request.method == "POST" and holder is not None:
        granted = {perms[c] for c in request.POST.getlist("rights") if c in perms}
        current = holder.permissions if kind == "group" else holder.user_permissions
        before = set(current.filter(pk__in=[p.pk for p in perms.values()]))
        current.remove(*(before - granted))
        current.add(*(granted - before))
        audit.record(
            request,
            "rights.change",
            f"{kind} {holder}",
            granted=sorted(p.codename for p in granted - before),
            revoked=sorted(p.codename for p in before - granted),
        )
        messages.success(request, f"Saved the tool rights of {kind} {holder}.")
        return redirect(f"{request.path}?{kind}={holder.pk}")
    held: set[str] = set()
    if holder is not None:
        current = holder.permissions if kind == "group" else holder.user_permissions
        held = set(
            current.filter(content_type__app_label="access").values_list("codename", flat=True)
        )
    rows = [(tool, _cells(tool, held)) for tool in TOOLS]
    inherited = set()
    if kind == "user":
        inherited = {p.codename for g in holder.groups.all() for p in g.permissions.all()}
    return render(
        request,
        "access/tool_rights.html",
        {
            "holder": holder,
            "kind": kind,
            "rows": rows,
            "letters": LETTERS,
            "inherited": inherited,
            "groups": Group.objects.order_by("name"),
            "users": get_user_model().objects.order_by("username"),
        },
    )


def _cells(tool, held: set[str]) -> list[tuple]:
    """Per letter: (letter, codename, grantable, held, the held letters that include it).
    W, A and D include R, so R held through them is shown, not left looking unticked."""
    holding = [letter for letter in tool.rights if tool.codename(letter) in held]
    return [
        (
            letter,
            tool.codename(letter),
            letter in tool.rights,
            letter in holding,
            ", ".join(h for h in holding if h != "R") if letter == "R" else "",
        )
        for letter in LETTERS
    ]


@requires_security_role
def audit_log(request):
    entries = AuditEntry.objects.all()
    action = request.GET.get("action", "").strip()
    who = request.GET.get("user", "").strip()
    text = request.GET.get("q", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    if who:
        entries = entries.filter(username=who)
    if text:
        entries = entries.filter(target__icontains=text)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    actions = AuditEntry.objects.order_by().values_list("action", flat=True).distinct()
    return render(
        request,
        "access/audit.html",
        {"page": page, "action": action, "who": who, "q": text, "actions": sorted(actions)},
    )


@login_required
def profile(request):
    """The user's own page: their rights, and API tokens for automation."""
    new_secret = None
    if request.method == "POST":
        label = request.POST.get("label", "").strip()[:100]
        if not label:
            messages.error(request, "Give the token a name, so you can tell it apart later.")
        else:
            token, new_secret = PersonalToken.issue(request.user, label)
            audit.record(request, "token.create", f"token {token.prefix}", label=label)
    mine = [
        (tool, [(letter, has_right(request.user, tool.slug, letter)) for letter in tool.rights])
        for tool in TOOLS
    ]
    return render(
        request,
        "access/profile.html",
        {
            "tokens": PersonalToken.objects.filter(user=request.user),
            "new_secret": new_secret,
            "rights": mine,
        },
    )


@require_POST
@login_required
def revoke_token(request, pk: int):
    token = get_object_or_404(PersonalToken, pk=pk, user=request.user, revoked_at__isnull=True)
    token.revoke()
    audit.record(request, "token.revoke", f"token {token.prefix}", label=token.label)
    messages.success(request, f"Revoked token {token.label}.")
    return redirect("profile")
