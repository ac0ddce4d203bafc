"""Signed channel callbacks: verify, then apply like any other answer — duplicates, late and stale ones are harmless."""

from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext

from .. import locks
from ..channels import Outcome, gateway_for
from ..exceptions import InvalidCallbackSignature
from ..models import ChannelCallback, PaymentCase, PaymentOrderEvent
from .cases import case_open
from .orders import APPLIED, CONFLICT, DUPLICATE, PENDING, STALE, outcome_apply

_RECORDED_AS = {
    APPLIED: ChannelCallback.Outcome.APPLIED,
    PENDING: ChannelCallback.Outcome.APPLIED,
    DUPLICATE: ChannelCallback.Outcome.DUPLICATE,
    STALE: ChannelCallback.Outcome.STALE,
    CONFLICT: ChannelCallback.Outcome.CONFLICT,
}


def callback_receive(*, channel: str, body: bytes, headers: Mapping[str, str]) -> ChannelCallback:
    """Verify the signature over the raw body (wrong → InvalidCallbackSignature, nothing written), then apply.

    The answer is always an acknowledgement once the signature is good: a callback for a final order is
    recorded and ignored, a contrary one opens a case, one for a serial we do not know opens a case.
    """
    gateway = gateway_for(channel)
    if not gateway.verify_callback(body=body, headers=headers):
        raise InvalidCallbackSignature(gettext("The callback signature does not match its body."), channel=channel)
    notice = gateway.parse_callback(body)
    with transaction.atomic(durable=True):
        order = locks.order_by_serial_for_update(channel=channel, serial=notice.serial)
        if order is None:
            outcome = ChannelCallback.Outcome.UNKNOWN_ORDER
            case_open(
                case_key=f"CALLBACK-UNKNOWN:{channel}:{notice.serial}",
                kind=PaymentCase.Kind.CALLBACK_CONFLICT,
                channel=channel,
                channel_serial=notice.serial,
                statement_status=notice.status,
                statement_amount=notice.amount,
                description=gettext("The channel called back about serial %(serial)s, which is none of our orders.")
                % {"serial": notice.serial},
            )
        else:
            if notice.amount is not None and notice.amount != order.amount and notice.outcome == Outcome.SUCCESS:
                case_open(
                    case_key=f"CALLBACK-AMOUNT:{order.pk}",
                    kind=PaymentCase.Kind.CALLBACK_CONFLICT,
                    order=order,
                    statement_status=notice.status,
                    statement_amount=notice.amount,
                    description=gettext("The channel reports %(reported)s moved; the order is for %(amount)s.")
                    % {"reported": notice.amount, "amount": order.amount},
                )
            result, _ = outcome_apply(
                order,
                outcome=notice.outcome,
                code=notice.code,
                message=f"callback {notice.status}",
                settled_at=notice.settled_at,
                source=PaymentOrderEvent.Source.CALLBACK,
            )
            outcome = _RECORDED_AS[result]
        return ChannelCallback.objects.create(
            channel=channel,
            channel_serial=notice.serial,
            status=notice.status,
            channel_code=notice.code,
            amount=notice.amount,
            settled_at=notice.settled_at,
            body=body.decode("utf-8", errors="replace"),
            outcome=outcome,
            order=order,
        )
