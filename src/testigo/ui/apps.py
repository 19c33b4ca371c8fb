from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "testigo.ui"
    label = "ui"
