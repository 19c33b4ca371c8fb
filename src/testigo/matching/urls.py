from django.urls import path

from testigo.matching import views

app_name = "matching"
urlpatterns = [
    path("", views.review_queue, name="review_queue"),
    path("pairs/<int:pk>/", views.review_pair, name="review_pair"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
]
