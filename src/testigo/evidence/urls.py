from django.urls import path

from testigo.evidence import views

app_name = "evidence"
urlpatterns = [
    path("", views.item_list, name="item_list"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.item_detail, name="item_detail"),
    path("<int:pk>/link/", views.item_link, name="item_link"),
    path("<int:pk>/transfer/", views.item_transfer, name="item_transfer"),
    path("<int:pk>/strip/", views.item_strip, name="item_strip"),
    path("<int:pk>/content/", views.item_content, name="item_content"),
    path("<int:pk>/download/", views.item_download, name="item_download"),
]
