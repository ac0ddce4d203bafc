"""`/api/v1/` for origination (CONTRACT.md §5): products, applications, accept. Thin: one service per call."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.idempotency import idempotent
from underwriting.reasons import reason_message

from .. import selectors, services
from ..exceptions import BorrowerProfileMissing
from ..models import Application, Contract, Offer, Purpose
from .authentication import AUTHENTICATION_CLASSES

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=True,
    description="Unique per intended request; a retry with the same key and body returns the first response.",
)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


def _borrower_id(request) -> int:
    borrower = getattr(request.user, "borrower", None)
    if borrower is None:
        raise BorrowerProfileMissing("This account has no borrower profile.")
    return borrower.pk


class ProductListApi(APIView):
    authentication_classes = AUTHENTICATION_CLASSES

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProductOutput"

        code = serializers.CharField()
        name = serializers.CharField()
        min_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
        max_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
        terms = serializers.ListField(child=serializers.IntegerField())
        method = serializers.CharField()
        min_rate = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
        max_rate = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)

    @extend_schema(responses=OutputSerializer(many=True), summary="Active loan products")
    def get(self, request):
        rows = []
        for product in selectors.product_list_active():
            min_rate, max_rate = selectors.product_rate_band(product=product)
            rows.append(
                {
                    "code": product.code,
                    "name": product.name,
                    "min_amount": product.min_amount,
                    "max_amount": product.max_amount,
                    "terms": list(product.terms),
                    "method": product.method,
                    "min_rate": min_rate,
                    "max_rate": max_rate,
                }
            )
        return Response(self.OutputSerializer(rows, many=True).data)


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    limit = serializers.CharField(allow_null=True)
    actual = serializers.CharField(allow_null=True)
    rule_set = serializers.CharField()


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    reasons = ReasonSerializer(many=True)
    approved_amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    annual_rate = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    apr = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    grade = serializers.CharField(allow_null=True)
    score = serializers.IntegerField(allow_null=True)


class ScheduleLineSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    principal = serializers.DecimalField(max_digits=18, decimal_places=2)
    interest = serializers.DecimalField(max_digits=18, decimal_places=2)
    fee = serializers.DecimalField(max_digits=18, decimal_places=2)
    payment = serializers.DecimalField(max_digits=18, decimal_places=2)


class ApplicationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    product = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    term = serializers.IntegerField()
    purpose = serializers.CharField()
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    decision = DecisionSerializer(allow_null=True)
    schedule_preview = ScheduleLineSerializer(many=True)
    offer_expires_at = serializers.DateTimeField(allow_null=True)
    loan_id = serializers.IntegerField(allow_null=True)


CONTRACTED = (*Application.IN_FLIGHT, Application.Status.DISBURSED, Application.Status.DISBURSEMENT_FAILED)


def _has(application: Application, relation: str) -> bool:
    try:
        getattr(application, relation)
    except (Offer.DoesNotExist, Contract.DoesNotExist):
        return False
    return True


def application_representation(application: Application) -> dict:
    """The borrower's view of an application: the final outcome, the reasons in their language, the offer."""
    record = application.decision
    # Only look for what can exist: each missing one-to-one would cost a query.
    offer = (
        application.offer
        if application.outcome == Application.Outcome.APPROVED and _has(application, "offer")
        else None
    )
    contract = application.contract if application.status in CONTRACTED and _has(application, "contract") else None
    decision = None
    if record is not None:
        reasons = [
            {
                "code": r["code"],
                "message": reason_message(r["code"], limit=r["limit"], actual=r["actual"], fallback=r["message"]),
                "limit": r["limit"],
                "actual": r["actual"],
                "rule_set": r["rule_set"],
            }
            for r in record.reasons
        ]
        approved = application.outcome == Application.Outcome.APPROVED
        decision = {
            "outcome": application.outcome,
            "reasons": reasons,
            "approved_amount": offer.amount if offer else (record.approved_amount if not approved else None),
            "annual_rate": offer.annual_rate if offer else record.annual_rate,
            "apr": offer.apr if offer else record.apr,
            "grade": record.grade,
            "score": record.score.get("score"),
        }
        if application.outcome == Application.Outcome.REJECTED:
            decision.update(approved_amount=None, annual_rate=None, apr=None)
    schedule = offer.schedule if offer else []
    return {
        "id": application.pk,
        "reference": application.reference,
        "product": application.product.code,
        "amount": application.requested_amount,
        "term": application.term,
        "purpose": application.purpose,
        "status": application.status,
        "submitted_at": application.submitted_at,
        "decision": decision,
        "schedule_preview": schedule,
        "offer_expires_at": offer.expires_at if offer else None,
        "loan_id": contract.loan_id if contract else None,
    }


_CENTS = Decimal("0.01")
_RATE = Decimal("0.000001")


def _decimal(value, exponent: Decimal) -> str | None:
    if value is None:
        return None
    return f"{(value if isinstance(value, Decimal) else Decimal(str(value).strip())).quantize(exponent):f}"


def _datetime(value) -> str | None:
    if not value:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _text(value) -> str | None:
    return None if value is None else str(value)


def application_output(application: Application) -> dict:
    """`ApplicationOutputSerializer(application_representation(…)).data`, built directly: the serializer is
    the schema (and the reference tests/lending/test_api_applications.py compares this with), but
    instantiating it per response costs more than the decision's own arithmetic."""
    data = application_representation(application)
    decision = data["decision"]
    if decision is not None:
        decision = {
            "outcome": _text(decision["outcome"]),
            "reasons": [
                {
                    "code": _text(r["code"]),
                    "message": _text(r["message"]),
                    "limit": _text(r["limit"]),
                    "actual": _text(r["actual"]),
                    "rule_set": _text(r["rule_set"]),
                }
                for r in decision["reasons"]
            ],
            "approved_amount": _decimal(decision["approved_amount"], _CENTS),
            "annual_rate": _decimal(decision["annual_rate"], _RATE),
            "apr": _decimal(decision["apr"], _RATE),
            "grade": _text(decision["grade"]),
            "score": None if decision["score"] is None else int(decision["score"]),
        }
    return {
        "id": int(data["id"]),
        "reference": _text(data["reference"]),
        "product": _text(data["product"]),
        "amount": _decimal(data["amount"], _CENTS),
        "term": int(data["term"]),
        "purpose": _text(data["purpose"]),
        "status": _text(data["status"]),
        "submitted_at": _datetime(data["submitted_at"]),
        "decision": decision,
        "schedule_preview": [
            {
                "number": int(line["number"]),
                "due_date": line["due_date"] if isinstance(line["due_date"], str) else line["due_date"].isoformat(),
                "principal": _decimal(line["principal"], _CENTS),
                "interest": _decimal(line["interest"], _CENTS),
                "fee": _decimal(line["fee"], _CENTS),
                "payment": _decimal(line["payment"], _CENTS),
            }
            for line in data["schedule_preview"]
        ],
        "offer_expires_at": _datetime(data["offer_expires_at"]),
        "loan_id": None if data["loan_id"] is None else int(data["loan_id"]),
    }


class ApplicationListApi(APIView):
    authentication_classes = AUTHENTICATION_CLASSES

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApplicationCreateInput"

        product = serializers.CharField(max_length=32)
        amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)
        term = serializers.IntegerField(min_value=1, max_value=360)
        purpose = serializers.ChoiceField(choices=Purpose.choices, default=Purpose.CONSUMPTION)
        annual_income = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False)
        characteristics = serializers.DictField(required=False, default=dict)

    @extend_schema(responses=ApplicationOutputSerializer(many=True), summary="My applications")
    def get(self, request):
        applications = selectors.borrower_applications(borrower_id=_borrower_id(request))[:100]
        return Response([application_output(a) for a in applications])

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: ApplicationOutputSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            409: ErrorSerializer,
        },
        summary="Apply for a loan (decided at once)",
    )
    @idempotent(scope="applications.create")
    def post(self, request):
        borrower_id = _borrower_id(request)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        application = services.application_submit(
            borrower_id=borrower_id,
            product_code=data["product"],
            amount=data["amount"],
            term=data["term"],
            purpose=data["purpose"],
            annual_income=data.get("annual_income"),
            characteristics=data.get("characteristics") or {},
            idempotency_key=request.idempotency_key,
            channel="API",
        )
        return Response(application_output(application), status=201)


class ApplicationDetailApi(APIView):
    authentication_classes = AUTHENTICATION_CLASSES

    @extend_schema(responses={200: ApplicationOutputSerializer, 404: ErrorSerializer}, summary="One of my applications")
    def get(self, request, application_id: int):
        application = selectors.application_get_for_borrower(
            borrower_id=_borrower_id(request), application_id=application_id
        )
        return Response(application_output(application))


class ApplicationAcceptApi(APIView):
    authentication_classes = AUTHENTICATION_CLASSES

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApplicationAcceptInput"

        contract_terms = serializers.BooleanField(help_text=_("I have read the contract and agree to it."))
        repayment_authorisation = serializers.BooleanField(help_text=_("I authorise automatic debits."))
        credit_report = serializers.BooleanField(help_text=_("I authorise a credit report enquiry."))
        personal_information = serializers.BooleanField(help_text=_("I agree to the processing of my data."))

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApplicationAcceptOutput"

        application_id = serializers.IntegerField()
        disbursement_status = serializers.CharField()
        loan_id = serializers.IntegerField(allow_null=True)

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            202: OutputSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: OpenApiResponse(ErrorSerializer, description="offer not acceptable, or a cap re-check failed"),
        },
        summary="Accept the offer: the contract is signed and the payout starts",
    )
    @idempotent(scope="applications.accept")
    def post(self, request, application_id: int):
        borrower_id = _borrower_id(request)
        selectors.application_get_for_borrower(borrower_id=borrower_id, application_id=application_id)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        application = services.application_accept(
            application_id=application_id, borrower_id=borrower_id, consents=payload.validated_data
        )
        contract = getattr(application, "contract", None)
        body = {
            "application_id": application.pk,
            "disbursement_status": application.status,
            "loan_id": contract.loan_id if contract else None,
        }
        return Response(self.OutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)
