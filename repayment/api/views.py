"""`/api/v1/` for servicing (CONTRACT.md §5): loans, schedules, payoff quotes, repayments. Thin: one selector or
service per call; a borrower sees only their own loans (others are 404)."""

from datetime import date

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.idempotency import idempotent
from common.money import money

from .. import selectors, services
from ..exceptions import InvalidDate, _
from ..models import Loan, Repayment

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=True,
    description="Unique per intended payment; a retry with the same key and body returns the first response.",
)
MONEY = {"max_digits": 18, "decimal_places": 2}


def _own_loan(request, loan_id: int) -> Loan:
    borrower_id = selectors.borrower_id_of(request.user)
    return get_object_or_404(selectors.loans_for_borrower(borrower_id=borrower_id), pk=loan_id)


class FundingSerializer(serializers.Serializer):
    partner = serializers.CharField(source="partner_code")
    share = serializers.DecimalField(max_digits=7, decimal_places=6)
    principal = serializers.DecimalField(source="funded_principal", **MONEY)


class LoanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    product = serializers.CharField(source="product_code")
    principal = serializers.DecimalField(**MONEY)
    annual_rate = serializers.DecimalField(max_digits=9, decimal_places=6)
    disbursed_on = serializers.DateField()
    outstanding_principal = serializers.DecimalField(**MONEY)
    dpd = serializers.IntegerField()
    bucket = serializers.CharField()
    overdue_amount = serializers.DecimalField(**MONEY)
    penalty_accrued = serializers.DecimalField(source="penalty_outstanding", **MONEY)
    overpayment_held = serializers.DecimalField(source="overpayment_balance", **MONEY)
    next_due = serializers.SerializerMethodField()
    funding = serializers.SerializerMethodField()

    def get_next_due(self, loan) -> dict | None:
        row = selectors.loan_next_due(loan=loan)
        if row is None:
            return None
        owed = row.principal_unpaid + row.interest_unpaid + row.penalty_unpaid
        return {"number": row.number, "due_date": row.due_date.isoformat(), "amount": str(owed)}

    def get_funding(self, loan) -> list[dict]:
        return FundingSerializer(selectors.loan_fundings(loan=loan), many=True).data


class LoanListApi(APIView):
    @extend_schema(responses=LoanOutputSerializer(many=True), summary="The borrower's loans")
    def get(self, request):
        loans = selectors.loans_for_borrower(borrower_id=selectors.borrower_id_of(request.user))
        return Response(LoanOutputSerializer(loans, many=True).data)


class LoanDetailApi(APIView):
    @extend_schema(responses=LoanOutputSerializer, summary="One loan: balance, DPD, next due, funding")
    def get(self, request, loan_id: int):
        return Response(LoanOutputSerializer(_own_loan(request, loan_id)).data)


class LoanScheduleApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "LoanScheduleInstallment"

        number = serializers.IntegerField()
        due_date = serializers.DateField()
        status = serializers.CharField()
        principal = serializers.DecimalField(**MONEY)
        interest = serializers.DecimalField(**MONEY)
        penalty = serializers.DecimalField(source="penalty_accrued", **MONEY)
        principal_paid = serializers.DecimalField(**MONEY)
        interest_paid = serializers.DecimalField(**MONEY)
        penalty_paid = serializers.DecimalField(**MONEY)
        principal_unpaid = serializers.DecimalField(**MONEY)
        interest_unpaid = serializers.DecimalField(**MONEY)
        penalty_unpaid = serializers.DecimalField(**MONEY)
        paid_on = serializers.DateField(allow_null=True)

    @extend_schema(responses=OutputSerializer(many=True), summary="Installments with their paid and unpaid parts")
    def get(self, request, loan_id: int):
        loan = _own_loan(request, loan_id)
        return Response(self.OutputSerializer(selectors.loan_schedule(loan=loan), many=True).data)


class PayoffQuoteApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PayoffQuote"

        date = serializers.DateField(source="on")
        principal = serializers.DecimalField(**MONEY)
        interest = serializers.DecimalField(**MONEY)
        penalty = serializers.DecimalField(**MONEY)
        fee = serializers.DecimalField(**MONEY)
        interest_rebate = serializers.DecimalField(**MONEY)
        total = serializers.DecimalField(**MONEY)

    @extend_schema(
        parameters=[
            OpenApiParameter(name="date", type=date, required=False, description="default: today's value date")
        ],
        responses=OutputSerializer,
        summary="What paying off the whole loan on a date costs, by component",
    )
    def get(self, request, loan_id: int):
        loan = _own_loan(request, loan_id)
        raw = request.query_params.get("date")
        try:
            on = date.fromisoformat(raw) if raw else selectors.business_day_open(loan=loan)
        except ValueError as exc:
            raise InvalidDate(_("date must be YYYY-MM-DD"), field="date") from exc
        return Response(self.OutputSerializer(selectors.loan_payoff_quote(loan=loan, on=on)).data)


class RepaymentCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RepaymentRequest"

        amount = serializers.CharField()
        kind = serializers.ChoiceField(choices=Repayment.Kind.values, default=Repayment.Kind.REGULAR)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RepaymentAccepted"

        repayment_id = serializers.IntegerField()
        collection_status = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={202: OutputSerializer},
        summary="Pay: a collection order through the payment core, allocated once collected",
    )
    @idempotent(scope="repayments.create")
    def post(self, request, loan_id: int):
        loan = _own_loan(request, loan_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        repayment = services.repayment_request(
            loan_id=loan.pk,
            amount=money(data.validated_data["amount"]),
            kind=data.validated_data["kind"],
            idempotency_key=f"api:{request.user.pk}:{request.idempotency_key}",
            requested_by_id=request.user.pk,
        )
        return Response(
            {"repayment_id": repayment.pk, "collection_status": repayment.status}, status=status.HTTP_202_ACCEPTED
        )


class RepaymentDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RepaymentDetail"

        id = serializers.IntegerField()
        loan_id = serializers.IntegerField()
        kind = serializers.CharField()
        source = serializers.CharField()
        amount = serializers.DecimalField(**MONEY)
        status = serializers.CharField()
        value_date = serializers.DateField(allow_null=True)
        overpayment = serializers.DecimalField(**MONEY)

    @extend_schema(
        responses=OutputSerializer, summary="A repayment and, once collected, its allocation by component and by funder"
    )
    def get(self, request, repayment_id: int):
        borrower_id = selectors.borrower_id_of(request.user)
        repayment = get_object_or_404(selectors.repayments_for_borrower(borrower_id=borrower_id), pk=repayment_id)
        body = dict(self.OutputSerializer(repayment).data)
        breakdown = selectors.repayment_breakdown(repayment=repayment)
        body["allocation"] = {component: str(amount) for component, amount in breakdown.by_component.items()}
        body["by_funder"] = {
            funder: {component: str(amount) for component, amount in parts.items()}
            for funder, parts in breakdown.by_funder.items()
        }
        return Response(body)
