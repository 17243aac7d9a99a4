"""The work queue over REST: claim next, submit, skip, release, flag."""

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import TokenMayWrite
from apps.accounts.selectors import api_token_scope_apply
from apps.batches.models import Batch
from apps.batches.selectors import BatchNotOpenToYou
from apps.preferences.errors import Refused, api_refusal
from apps.preferences.gold import qualification_feedback_for

from . import services
from .claim_statements import LeaseLimitReached
from .models import Lease
from .selectors import lease_get_for, lease_view, leases_open_for
from .serializers import (
    FlagInputSerializer,
    LeaseEndedSerializer,
    LeaseOutputSerializer,
    SkipInputSerializer,
    SubmitInputSerializer,
    SubmitOutputSerializer,
)


def _batch_for(request, batch_id: int) -> Batch:
    batches = Batch.objects.filter(pk=batch_id)
    batch = api_token_scope_apply(queryset=batches, token=request.auth, field="pk").first()
    if batch is None:
        raise Http404
    return batch


def _lease_for(request, lease_id: int) -> Lease:
    try:
        return lease_get_for(user=request.user, lease_id=lease_id, token=request.auth)
    except Lease.DoesNotExist as exc:
        raise Http404 from exc


class QueueApi(APIView):
    permission_classes = [IsAuthenticated, TokenMayWrite]


class ClaimApi(QueueApi):
    @extend_schema(
        request=None,
        responses={
            201: LeaseOutputSerializer,
            204: OpenApiResponse(description="Nothing left for you to judge in this batch."),
            403: OpenApiResponse(
                description="Your work here is paused, or your qualification is failed or "
                "its set not ready: the detail says why and whom to ask."
            ),
            409: OpenApiResponse(description="You hold the most leases this batch allows."),
        },
    )
    def post(self, request, batch_id: int):
        batch = _batch_for(request, batch_id)
        try:
            lease = services.lease_claim(batch=batch, annotator=request.user)
        except (BatchNotOpenToYou, LeaseLimitReached) as exc:
            return api_refusal(exc)
        if lease is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = LeaseOutputSerializer(lease_view(lease=lease)).data
        return Response(data, status=status.HTTP_201_CREATED)


class LeaseListApi(QueueApi):
    @extend_schema(responses=LeaseOutputSerializer(many=True))
    def get(self, request):
        leases = api_token_scope_apply(
            queryset=leases_open_for(user=request.user), token=request.auth, field="batch_id"
        ).select_related("pair")
        views = [lease_view(lease=lease) for lease in leases[:100]]
        return Response(LeaseOutputSerializer(views, many=True).data)


class LeaseDetailApi(QueueApi):
    @extend_schema(responses=LeaseOutputSerializer)
    def get(self, request, lease_id: int):
        lease = _lease_for(request, lease_id)
        return Response(LeaseOutputSerializer(lease_view(lease=lease)).data)


class SubmitApi(QueueApi):
    @extend_schema(
        request=SubmitInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Same key, same lease: the submit is stored once and replayed.",
            )
        ],
        responses={
            201: SubmitOutputSerializer,
            200: SubmitOutputSerializer,
            409: OpenApiResponse(description="Already ended, or too late: nothing stored."),
        },
    )
    def post(self, request, lease_id: int):
        params = SubmitInputSerializer(data=request.data)
        if not params.is_valid():
            _lease_for(request, lease_id)  # someone else's lease is a 404 whatever the body
            params.is_valid(raise_exception=True)
        data = params.validated_data
        key = request.headers.get("Idempotency-Key") or data.get("idempotency_key", "")
        try:
            outcome = services.lease_submit(
                lease_id=lease_id,
                token=request.auth,
                annotator=request.user,
                idempotency_key=key,
                chosen_side=data["chosen_side"],
                strength=data["strength"],
                time_spent_ms=data["time_spent_ms"],
                left_is_safe=data["left_is_safe"],
                right_is_safe=data["right_is_safe"],
            )
        except Lease.DoesNotExist as exc:
            raise Http404 from exc
        except (ValidationError, Refused) as exc:
            return api_refusal(exc)
        code = status.HTTP_200_OK if outcome.replayed else status.HTTP_201_CREATED
        feedback = None
        if outcome.qualification:  # read only for qualification pairs (work gold looks normal)
            feedback = qualification_feedback_for(comparison=outcome.comparison)
        answer = {"comparison": outcome.comparison, "late": outcome.late, "feedback": feedback}
        return Response(SubmitOutputSerializer(answer).data, status=code)


class LeaseEndApi(QueueApi):
    input_serializer = None

    def end(self, request, lease: Lease, data: dict) -> Lease:
        raise NotImplementedError

    def post(self, request, lease_id: int):
        lease = _lease_for(request, lease_id)
        data = {}
        if self.input_serializer is not None:
            params = self.input_serializer(data=request.data)
            params.is_valid(raise_exception=True)
            data = params.validated_data
        try:
            lease = self.end(request, lease, data)
        except (ValidationError, Refused) as exc:
            return api_refusal(exc)
        return Response(LeaseEndedSerializer(lease).data)


@extend_schema(request=SkipInputSerializer, responses=LeaseEndedSerializer)
class SkipApi(LeaseEndApi):
    input_serializer = SkipInputSerializer

    def end(self, request, lease, data):
        return services.lease_skip(lease_id=lease.pk, annotator=request.user, reason=data["reason"])


@extend_schema(request=None, responses=LeaseEndedSerializer)
class ReleaseApi(LeaseEndApi):
    def end(self, request, lease, data):
        return services.lease_release(lease_id=lease.pk, annotator=request.user)


@extend_schema(request=FlagInputSerializer, responses=LeaseEndedSerializer)
class FlagApi(LeaseEndApi):
    input_serializer = FlagInputSerializer

    def end(self, request, lease, data):
        return services.lease_flag(
            lease_id=lease.pk, annotator=request.user, reason=data["reason"], note=data["note"]
        )
