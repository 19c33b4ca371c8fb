from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "testigo.demo"
    label = "demo"
    verbose_name = "Demo data"
