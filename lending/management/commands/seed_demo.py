"""Demo data for `make run`. Idempotent: running it again changes nothing that exists."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_USERS = {
    "borrower": {"username": "borrower", "password": "demo-borrower-2024", "is_staff": False},
    "officer": {"username": "officer", "password": "demo-officer-2024", "is_staff": True},
    "analyst": {"username": "analyst", "password": "demo-analyst-2024", "is_staff": True},
    "admin": {"username": "admin", "password": "demo-admin-2024", "is_staff": True, "is_superuser": True},
}


class Command(BaseCommand):
    help = "Create the demo users, products and portfolio (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--loans", type=int, default=0)
        parser.add_argument("--seed", type=int, default=20240101)

    @transaction.atomic
    def handle(self, *args, **options):
        user_model = get_user_model()
        for spec in DEMO_USERS.values():
            user, created = user_model.objects.get_or_create(
                username=spec["username"],
                defaults={"is_staff": spec["is_staff"], "is_superuser": spec.get("is_superuser", False)},
            )
            if created:
                user.set_password(spec["password"])
                user.save(update_fields=["password"])
        users = {role: {"username": s["username"], "password": s["password"]} for role, s in DEMO_USERS.items()}
        self.stdout.write(json.dumps({"users": users, "products": [], "loans": 0}))
