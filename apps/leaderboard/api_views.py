"""The leaderboard in the API: request a run (or reuse the cached one), then read it."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import TokenMayWrite

from .options import RankingOptions
from .selectors import batches_in_scope, leaderboard_run_visible, studies_in_scope
from .serializers import RunInputSerializer, RunOutputSerializer
from .services import leaderboard_run_request


class LeaderboardRunListApi(APIView):
    """Staff only; a token scoped to some batches may rank only those (others answer 404)."""

    permission_classes = [IsAdminUser, TokenMayWrite]

    @extend_schema(
        request=RunInputSerializer,
        responses={201: RunOutputSerializer, 200: RunOutputSerializer},
        summary="Rank the variants of some batches: a new run (201), or the cached one (200)",
    )
    def post(self, request):
        serializer = RunInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        batch_ids = sorted(set(data.pop("batch_ids")))
        study_ids = sorted(set(data.pop("study_ids")))
        if batches_in_scope(batch_ids=batch_ids, token=request.auth).count() != len(batch_ids):
            raise Http404
        if studies_in_scope(study_ids=study_ids, token=request.auth).count() != len(study_ids):
            raise Http404
        run, created = leaderboard_run_request(
            batch_ids=batch_ids,
            study_ids=study_ids,
            options=RankingOptions(**data),
            user=request.user,
        )
        return Response(
            RunOutputSerializer(run).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class LeaderboardRunDetailApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses=RunOutputSerializer,
        summary="A leaderboard run: its status and progress, and its result once done",
    )
    def get(self, request, run_id: int):
        run = leaderboard_run_visible(run_id=run_id, token=request.auth)
        if run is None:
            raise Http404
        return Response(RunOutputSerializer(run).data)
