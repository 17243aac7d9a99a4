"""Quality control in the API: a batch's quality figures, as on its quality page."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import api_token_scope_apply
from apps.batches.models import Batch

from .serializers import QualityReportOutputSerializer


class BatchQualityApi(APIView):
    """Staff only; a token scoped to some batches reaches only those."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        responses=QualityReportOutputSerializer,
        summary="A batch's quality figures: agreement, gold accuracy, per-annotator reliability",
    )
    def get(self, request, batch_id: int):
        batches = api_token_scope_apply(
            queryset=Batch.objects.filter(pk=batch_id), token=request.auth, field="pk"
        )
        if not batches.exists():
            raise Http404
        from .selectors import batch_quality  # scipy and pandas: loaded on first use

        report = batch_quality(batch_ids=[batch_id])
        return Response(QualityReportOutputSerializer(report).data)
