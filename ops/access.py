"""Who may see /ops/: staff. Every view of ops.urls is wrapped in ``staff_required``
(tests/ops/test_access.py walks the URL patterns, so a view added later is checked too)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

ADMIN_LOGIN_URL = "/admin/login/"


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous: to the admin's login and back. Logged in but not staff (an agent): 403,
    not a login page that an agent could not get past anyway."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), ADMIN_LOGIN_URL)
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
