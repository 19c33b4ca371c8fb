from django.urls import path

from testigo.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("new/", views.upload, name="upload"),
    path("<int:pk>/", views.batch_detail, name="batch_detail"),
    path("<int:pk>/mapping/", views.batch_mapping, name="batch_mapping"),
    path("<int:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("<int:pk>/decisions/", views.batch_decisions, name="batch_decisions"),
    path("<int:pk>/import/", views.batch_confirm, name="batch_confirm"),
    path("<int:pk>/discard/", views.batch_discard, name="batch_discard"),
    path("<int:pk>/problems.csv", views.batch_problems, name="batch_problems"),
    path("mappings/<int:pk>/", views.mapping_detail, name="mapping_detail"),
    path("export/records/", views.record_export, name="record_export"),
    path("export/violations/", views.violation_export, name="violation_export"),
]
