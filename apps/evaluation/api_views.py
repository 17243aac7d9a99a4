"""Evaluation studies in the API: a study's results, and its raw ratings as JSONL or Parquet.
Staff only; a token scoped to some batches reaches the studies over those batches' pools."""

from django.http import Http404, HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import api_token_scope_apply

from . import selectors
from .models import Study
from .rating_files import ratings_jsonl, ratings_parquet
from .serializers import StudyResultsOutputSerializer


def _study_or_404(request, study_id: int) -> Study:
    studies = api_token_scope_apply(
        queryset=Study.objects.filter(pk=study_id), token=request.auth, field="source_batch_id"
    )
    study = studies.first()
    if study is None:
        raise Http404
    return study


class StudyResultsApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses=StudyResultsOutputSerializer,
        summary="A study's results: win/tie/loss or violation rates with 95% intervals, AC2",
    )
    def get(self, request, study_id: int):
        study = _study_or_404(request, study_id)
        results = selectors.study_results_for(study=study)
        return Response(StudyResultsOutputSerializer(results).data)


class StudyRatingsJsonlApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses={(200, "application/jsonl"): OpenApiTypes.BINARY},
        summary="A study's raw ratings, one JSON object per line",
    )
    def get(self, request, study_id: int):
        study = _study_or_404(request, study_id)
        response = StreamingHttpResponse(
            ratings_jsonl(selectors.study_rating_rows(study=study)),
            content_type="application/jsonl",
        )
        response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-ratings.jsonl"'
        return response


class StudyRatingsParquetApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses={(200, "application/vnd.apache.parquet"): OpenApiTypes.BINARY},
        summary="A study's raw ratings as a Parquet file",
    )
    def get(self, request, study_id: int):
        study = _study_or_404(request, study_id)
        response = HttpResponse(
            ratings_parquet(selectors.study_rating_rows(study=study)),
            content_type="application/vnd.apache.parquet",
        )
        response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-ratings.parquet"'
        return response
