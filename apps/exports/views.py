"""The API: thin views that validate input, call one selector or service, and respond."""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import TokenMayWrite
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .models import ExportJob
from .pagination import ByIdCursorPagination
from .selectors import batches_visible_to, comparisons_selected, export_job_get_for, export_jobs_for
from .serializers import (
    BatchOutputSerializer,
    ComparisonFilterSerializer,
    ComparisonOutputSerializer,
    ExportJobOutputSerializer,
    ExportParamsSerializer,
    query_check,
)
from .services import export_job_create
from .streams import CONTENT_TYPES, export_bytes, export_card, export_filename

# A batch's comparisons as the API counts them: withdrawn ones are never exported.
_exportable_count = Count("comparisons", filter=Q(comparisons__withdrawn_at=None))


def _visible(request):
    return batches_visible_to(user=request.user, token=request.auth)


def _params(request, serializer_class, allowed: str, data=None):
    if data is None:
        query_check(params=request.query_params, allowed=allowed)
    serializer = serializer_class(
        data=request.query_params if data is None else data,
        context={"visible": _visible(request), "user": request.user},
    )
    serializer.is_valid(raise_exception=True)
    return serializer


class BatchListApi(APIView):
    @extend_schema(
        responses=BatchOutputSerializer(many=True),
        parameters=[OpenApiParameter("page_size", int), OpenApiParameter("cursor", str)],
    )
    def get(self, request):
        query_check(params=request.query_params, allowed="batches")
        batches = (
            _visible(request)
            .select_related("sampling_a__variant", "sampling_b__variant")
            .annotate(comparison_count=_exportable_count)
        )
        paginator = ByIdCursorPagination()
        page = paginator.paginate_queryset(batches, request, view=self)
        return paginator.get_paginated_response(BatchOutputSerializer(page, many=True).data)


class BatchDetailApi(APIView):
    @extend_schema(responses=BatchOutputSerializer)
    def get(self, request, batch_id: int):
        batch = (
            _visible(request)
            .select_related("sampling_a__variant", "sampling_b__variant")
            .annotate(comparison_count=_exportable_count)
            .filter(pk=batch_id)
            .first()
        )
        if batch is None:
            raise Http404
        return Response(BatchOutputSerializer(batch).data)


class ComparisonListApi(APIView):
    @extend_schema(
        parameters=[ComparisonFilterSerializer, OpenApiParameter("cursor", str)],
        responses=ComparisonOutputSerializer(many=True),
    )
    def get(self, request):
        params = _params(request, ComparisonFilterSerializer, "comparisons")
        comparisons = comparisons_selected(options=params.options(), visible=_visible(request))
        comparisons = comparisons.select_related(
            "pair__pool_item", "chosen__variant", "rejected__variant"
        )
        paginator = ByIdCursorPagination()
        page = paginator.paginate_queryset(comparisons, request, view=self)
        return paginator.get_paginated_response(ComparisonOutputSerializer(page, many=True).data)


class ExportStreamApi(APIView):
    @extend_schema(
        parameters=[ExportParamsSerializer],
        responses={
            (200, "application/jsonl"): OpenApiTypes.BINARY,
            (200, "application/vnd.apache.parquet"): OpenApiTypes.BINARY,
        },
        description="The whole export in one streamed response (JSONL per chunk, Parquet per "
        "row group). Its dataset card is at the URL in the `Link` header.",
    )
    def get(self, request):
        options = _params(request, ExportParamsSerializer, "export").options()
        audit_record(
            actor=request.user,
            token=request.auth,
            action=AuditEvent.Action.EXPORT_STREAMED,
            target="export_stream",
            details={"options": options.as_dict()},
        )
        response = StreamingHttpResponse(
            export_bytes(options=options, visible=_visible(request)),
            content_type=CONTENT_TYPES[options.file_type],
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{export_filename(options=options)}"'
        )
        card_url = reverse("exports:card") + "?" + urlencode(request.query_params, doseq=True)
        response["Link"] = f'<{card_url}>; rel="describedby"'
        return response


class ExportCardApi(APIView):
    @extend_schema(parameters=[ExportParamsSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        options = _params(request, ExportParamsSerializer, "export").options()
        card = export_card(options=options, visible=_visible(request))
        return Response(card.as_dict())


class ExportJobListApi(APIView):
    permission_classes = [*APIView.permission_classes, TokenMayWrite]

    @extend_schema(responses=ExportJobOutputSerializer(many=True))
    def get(self, request):
        jobs = export_jobs_for(user=request.user, token=request.auth)[:100]
        return Response(ExportJobOutputSerializer(jobs, many=True).data)

    @extend_schema(request=ExportParamsSerializer, responses={201: ExportJobOutputSerializer})
    def post(self, request):
        options = _params(request, ExportParamsSerializer, "export", data=request.data).options()
        job = export_job_create(
            user=request.user, token=request.auth, options=options, visible=_visible(request)
        )
        return Response(ExportJobOutputSerializer(job).data, status=status.HTTP_201_CREATED)


def _job_or_404(request, job_id: int) -> ExportJob:
    try:
        return export_job_get_for(user=request.user, token=request.auth, job_id=job_id)
    except ExportJob.DoesNotExist as exc:
        raise Http404 from exc


class ExportJobDetailApi(APIView):
    @extend_schema(responses=ExportJobOutputSerializer)
    def get(self, request, job_id: int):
        return Response(ExportJobOutputSerializer(_job_or_404(request, job_id)).data)


class ExportJobDownloadApi(APIView):
    FILES = {"data": None, "card": "card.json", "readme": "README.md"}

    @extend_schema(
        parameters=[OpenApiParameter("file", str, enum=list(FILES), default="data")],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, job_id: int):
        job = _job_or_404(request, job_id)
        which = request.query_params.get("file", "data")
        if which not in self.FILES:
            return Response({"file": [f"One of {list(self.FILES)}."]}, status=400)
        if job.state == ExportJob.State.EXPIRED:
            return Response({"detail": "The export's files were deleted (expired)."}, status=410)
        if job.state != ExportJob.State.DONE:
            return Response({"detail": f"The export is {job.state}, not done."}, status=409)
        name = self.FILES[which] or job.data_file
        path = f"{job.directory}/{name}"
        filename = f"pairwise-export-{job.pk}-{name}"
        return FileResponse(open(path, "rb"), as_attachment=True, filename=filename)
