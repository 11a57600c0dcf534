"""The state's own data: Person Matching, Synchronization Field Settings, Cross-District
Conflicts, and a state-owned value edited on a district's page (docs/STATE_OWNED.md)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.access.rights import has_right
from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.core.idlists import one_id
from statesync.state.models import (
    Conflict,
    District,
    FieldSetting,
    MatchHold,
    Owner,
    StatePerson,
)
from statesync.state.models.ownership import STATE_OWNED_BY_DEFAULT
from statesync.state.people.statevalues import ValueRefused, decide, set_value


def _with_candidates(holds: list[MatchHold]) -> list[MatchHold]:
    """Each candidate with what the state knows of them, to show beside the held record."""
    wanted = {c["state_id"] for hold in holds for c in hold.candidates}
    people = StatePerson.objects.filter(pk__in=StatePerson.issued(state_db(), wanted).values())
    known = {p.state_id: p for p in people}
    for hold in holds:
        for candidate in hold.candidates:
            person = known.get(candidate["state_id"])
            candidate["person_values"] = {
                "last_name": person.last_name if person else "",
                "first_name": person.first_name if person else "",
                "birth_date": person.birth_date.isoformat() if person else "",
                "gender": person.gender if person else "",
            }
    return holds


@requires_right("personmatching", "R")
def matching(request):
    holds = MatchHold.objects.select_related("district")
    pending = holds.filter(status=MatchHold.Status.PENDING)
    context = {
        "pending": _with_candidates(list(pending[:100])),
        "pending_count": pending.count(),
        "decided": holds.exclude(status=MatchHold.Status.PENDING).order_by("-decided_at")[:20],
        "fields": ("last_name", "first_name", "middle_name", "birth_date", "gender"),
        "may_decide": has_right(request.user, "personmatching", "W"),
    }
    return render(request, "state/matching.html", context)


@require_POST
@requires_right("personmatching", "W")
def matching_decide(request, pk: int):
    hold = get_object_or_404(MatchHold.objects.select_related("district"), pk=pk)
    chosen = request.POST.get("state_id") or None
    try:
        state_id = decide(hold, chosen, request.user.get_username())
    except ValueRefused as exc:
        messages.error(
            request, f"Person {hold.record_id} of district {hold.district.number}: {exc}."
        )
        return redirect("state:matching")
    audit.record(
        request,
        "state.person_match" if chosen else "state.person_new",
        f"district {hold.district.number} person {hold.record_id}",
        state_id=state_id,
        candidates=[c["state_id"] for c in hold.candidates],
    )
    messages.success(
        request,
        f"Person {hold.record_id} of district {hold.district.number} has state ID {state_id}; "
        "the district's worker writes it into the district.",
    )
    return redirect("state:matching")


def _owners() -> list[dict]:
    owned = FieldSetting.state_owned(state_db())
    return [
        {
            "object": obj,
            "fields": [
                {
                    "name": f.name,
                    "label": f.label,
                    "owner": Owner.STATE if (obj.name, f.name) in owned else Owner.DISTRICT,
                    "default": (obj.name, f.name) in STATE_OWNED_BY_DEFAULT,
                }
                for f in obj.fields
            ],
        }
        for obj in map(catalog.get, catalog.order())
    ]


@requires_right("fieldsettings", "R")
def field_settings(request):
    context = {"objects": _owners(), "may_change": has_right(request.user, "fieldsettings", "W")}
    return render(request, "state/field_settings.html", context)


@require_POST
@requires_right("fieldsettings", "W")
def field_settings_change(request):
    name, field, owner = (request.POST.get(k, "") for k in ("object", "field", "owner"))
    obj = catalog.OBJECTS.get(name)
    if obj is None or field not in {f.name for f in obj.fields} or owner not in Owner.values:
        messages.error(request, f"No field {name}.{field} to give to {owner or 'nobody'}.")
        return redirect("state:field-settings")
    FieldSetting.objects.update_or_create(
        object=name,
        field=field,
        defaults={"owner": owner, "changed_by": request.user.get_username()},
    )
    audit.record(request, "state.field_owner", f"{name}.{field}", owner=owner)
    label = catalog.field_label(field)
    messages.success(
        request,
        f"{name} {label} is now owned by {Owner(owner).label}; districts learn it at their "
        "worker's next look at the state (within a minute).",
    )
    return redirect("state:field-settings")


@requires_right("conflicts", "R")
def conflicts(request):
    found = Conflict.objects.select_related("district", "other_district")
    context = {
        "conflicts": found.filter(resolved_at=None)[:500],
        "resolved": found.exclude(resolved_at=None).order_by("-resolved_at")[:50],
    }
    return render(request, "state/conflicts.html", context)


@require_POST
@requires_right("fieldsettings", "W")
def district_value(request, number: str):
    """The state editing a value it owns in one district's record."""
    district = get_object_or_404(District, number=number)
    name, _, field = request.POST.get("field", "").partition(".")  # "Object.field"
    value, raw_id = request.POST.get("value", ""), request.POST.get("record_id", "")
    try:
        obj = catalog.get(name)
        if (record_id := one_id(raw_id)) is None:
            raise ValueRefused(f"{raw_id[:40]!r} is not a record ID")
        by = request.user.get_username()
        set_value(district, obj, record_id, field, value or None, f"Changed at the state by {by}")
    except (ValueRefused, catalog.UnknownObject) as exc:
        messages.error(request, f"Not changed: {exc}.")
        return redirect("state:district", number)
    audit.record(request, "state.value_set", f"{number} {name} {raw_id}", field=field, value=value)
    messages.success(
        request,
        f"{name} {raw_id} {catalog.field_label(field)} is {value!r} at the state; district "
        f"{number}'s worker writes it into the district.",
    )
    return redirect("state:district", number)
