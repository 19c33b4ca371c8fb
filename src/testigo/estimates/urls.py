from django.urls import path

from testigo.estimates import views

app_name = "estimates"
urlpatterns = [
    path("", views.estimate_new, name="estimate_new"),
    path("<int:pk>/", views.run_detail, name="run_detail"),
]
