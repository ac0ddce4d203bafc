"""Every status change goes through `transition`: it checks the state machine and appends the audit event."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from ..exceptions import InvalidTransition
from ..models import Application, ApplicationEvent


def transition(
    application: Application,
    *,
    to: str,
    action: str,
    actor=None,
    at: datetime | None = None,
    reason_code: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    update_fields: tuple[str, ...] = (),
) -> ApplicationEvent:
    """Move the application forward and write the audit row, in the caller's transaction."""
    if not application.can_move_to(to):
        raise InvalidTransition(
            f"An application in status {application.status} cannot become {to}.",
            application=application.reference,
            status=application.status,
            requested=to,
        )
    from_status = application.status
    application.status = to
    application.save(update_fields=["status", "updated_at", *update_fields])
    return record_event(
        application,
        action=action,
        actor=actor,
        at=at,
        from_status=from_status,
        to_status=to,
        reason_code=reason_code,
        note=note,
        data=data,
    )


def record_event(
    application: Application,
    *,
    action: str,
    actor=None,
    at: datetime | None = None,
    from_status: str = "",
    to_status: str = "",
    reason_code: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        reason_code=reason_code,
        note=note,
        data=data or {},
        created_at=at or timezone.now(),
    )
