"""Staff pages of quality control, under /manage/."""

from django.urls import path

from . import review_views, views

app_name = "quality"

urlpatterns = [
    path("batches/<int:batch_id>/quality/", views.batch_quality_page, name="batch"),
    path(
        "batches/<int:batch_id>/quality/flags/<int:flag_id>/lift/",
        views.batch_quality_flag_lift,
        name="flag-lift",
    ),
    path(
        "batches/<int:batch_id>/quality/pause/",
        views.batch_quality_annotator_pause,
        name="pause",
    ),
    path("batches/<int:batch_id>/review/", review_views.batch_review, name="review"),
    path(
        "batches/<int:batch_id>/review/pairs/<int:pair_id>/gold/",
        review_views.review_gold_mark,
        name="review-gold-mark",
    ),
    path(
        "batches/<int:batch_id>/review/pairs/<int:pair_id>/gold/unmark/",
        review_views.review_gold_unmark,
        name="review-gold-unmark",
    ),
    path(
        "batches/<int:batch_id>/review/withdraw/",
        review_views.review_withdraw,
        name="review-withdraw",
    ),
    path(
        "batches/<int:batch_id>/review/restore/", review_views.review_restore, name="review-restore"
    ),
]
