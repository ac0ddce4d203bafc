"""The channel callback endpoint: POST /api/v1/payments/callbacks/{channel}/ (CONTRACT.md §5).

No user authentication: the channel proves itself with X-Signature, an HMAC-SHA256 of the raw body,
checked by the service before anything is read or written.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services

ERROR = inline_serializer(
    "PaymentsError",
    fields={"code": serializers.CharField(), "message": serializers.CharField(), "details": serializers.DictField()},
)


class ChannelCallbackView(APIView):
    parser_classes = [JSONParser]  # for the schema: the view reads the raw body, never request.data
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema_serializer(component_name="ChannelCallbackAck")
    class OutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        outcome = serializers.CharField()

    @extend_schema(
        operation_id="payments_channel_callback",
        summary="Signed payment-channel callback",
        request=inline_serializer(
            "ChannelCallback",
            fields={
                "serial": serializers.CharField(),
                "status": serializers.ChoiceField(choices=["SUCCESS", "FAILED", "PROCESSING"]),
                "code": serializers.CharField(),
                "amount": serializers.DecimalField(max_digits=18, decimal_places=2),
                "settled_at": serializers.DateTimeField(allow_null=True),
            },
        ),
        parameters=[
            OpenApiParameter(
                "X-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="hex HMAC-SHA256 of the raw body with the channel's callback secret",
            )
        ],
        responses={
            200: OutputSerializer,
            400: ERROR,  # MALFORMED_CALLBACK
            401: ERROR,  # INVALID_SIGNATURE
            404: ERROR,  # UNKNOWN_PAYMENT_CHANNEL
        },
        auth=[],
    )
    def post(self, request, channel: str) -> Response:
        # The raw bytes, before any parser touches them: the signature is over exactly these.
        callback = services.callback_receive(channel=channel, body=request.body, headers=request.headers)
        return Response(
            self.OutputSerializer({"code": "OK", "outcome": callback.outcome}).data, status=status.HTTP_200_OK
        )
