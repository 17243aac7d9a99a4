from django.urls import path

from . import api_views

app_name = "queue_api"
urlpatterns = [
    path("batches/<int:batch_id>/claim/", api_views.ClaimApi.as_view(), name="claim"),
    path("leases/", api_views.LeaseListApi.as_view(), name="lease-list"),
    path("leases/<int:lease_id>/", api_views.LeaseDetailApi.as_view(), name="lease-detail"),
    path("leases/<int:lease_id>/submit/", api_views.SubmitApi.as_view(), name="submit"),
    path("leases/<int:lease_id>/skip/", api_views.SkipApi.as_view(), name="skip"),
    path("leases/<int:lease_id>/release/", api_views.ReleaseApi.as_view(), name="release"),
    path("leases/<int:lease_id>/flag/", api_views.FlagApi.as_view(), name="flag"),
]
