"""Admin building blocks for rows that services write and people only read.

One signature per permission serves model admins (called with the request) and inlines
(called with the parent object too).
"""

from __future__ import annotations

from django.contrib import admin


class NoAddMixin:
    """Rows come from a service (an audit row, an attempt, a forecast): never added here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AppendOnlyMixin:
    """Rows are appended to, never edited or deleted (a ledger): a correction is a new row."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ViewOnlyMixin(NoAddMixin):
    """Shown, never added or changed here: every change goes through the app's services."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RecordMixin(NoAddMixin, AppendOnlyMixin):
    """A record of what happened (money moved, a message sent): not even deleted here."""


class AppendOnlyAdmin(AppendOnlyMixin, admin.ModelAdmin):
    pass


class ViewOnlyAdmin(ViewOnlyMixin, admin.ModelAdmin):
    pass


class RecordAdmin(RecordMixin, admin.ModelAdmin):
    pass
