from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from statesync.district.models import Notification


@login_required
def notification_list(request):
    notes = Notification.objects.filter(user=request.user)
    page = Paginator(notes, 25).get_page(request.GET.get("page"))
    return render(request, "district/notifications.html", {"page": page})


@login_required
def notification_open(request, pk: int):
    """Mark one read and go where it points."""
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    note.mark_read()
    return redirect(note.url or "district:notifications")


@require_POST
@login_required
def notification_read_all(request):
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("district:notifications")
