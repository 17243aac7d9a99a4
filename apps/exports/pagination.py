"""Cursor pagination of the list endpoints, by primary key."""

import re

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from .serializers import BIGINT_MAX, PageSizeSerializer

# A position this pagination writes: a primary key (a bigint).
_POSITION = re.compile(r"[0-9]{1,19}")


class ByIdCursorPagination(CursorPagination):
    ordering = "pk"
    page_size = 100
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        params = PageSizeSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return params.validated_data.get("page_size", self.page_size)

    def decode_cursor(self, request):
        """DRF checks a cursor's offset and direction; the position goes into `pk > %s`
        unchecked, so a crafted one (`p=abc`) raised a ValueError (a 500). It is a 404 too."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            position = cursor.position
            if not _POSITION.fullmatch(position) or int(position) > BIGINT_MAX:
                raise NotFound(self.invalid_cursor_message)
        return cursor
