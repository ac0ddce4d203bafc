"""Enqueueing the payment core's tasks on their queue (imported late: the tasks module imports the services)."""

QUEUE = "payments"


def enqueue_submit(order_id: int) -> None:
    from ..tasks import order_submit_task

    order_submit_task.apply_async(kwargs={"order_id": order_id}, queue=QUEUE)


def enqueue_query(order_id: int, *, attempt: int, delay: float) -> None:
    from ..tasks import order_query_task

    order_query_task.apply_async(kwargs={"order_id": order_id, "attempt": attempt}, countdown=delay, queue=QUEUE)


def enqueue_delivery(outbox_id: int) -> None:
    from ..tasks import outbox_deliver_task

    outbox_deliver_task.apply_async(kwargs={"outbox_id": outbox_id}, queue=QUEUE)
