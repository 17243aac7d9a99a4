from django.urls import path

from . import views

app_name = "dialogues"
urlpatterns = [
    path("batches/<int:batch_id>/", views.batch_home, name="batch"),
    path("batches/<int:batch_id>/dialogues/", views.dialogue_start, name="start"),
    path("dialogues/<int:dialogue_id>/", views.dialogue_detail, name="detail"),
    path("dialogues/<int:dialogue_id>/turns/", views.dialogue_continue, name="continue"),
    path("dialogues/<int:dialogue_id>/finish/", views.dialogue_finish, name="finish"),
    path("pairs/<int:pair_id>/status/", views.pair_status, name="pair-status"),
    path("pairs/<int:pair_id>/retry/", views.pair_retry, name="pair-retry"),
    path("pairs/<int:pair_id>/judge/", views.dialogue_judge, name="judge"),
]
