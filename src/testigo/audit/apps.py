from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "testigo.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from testigo.audit import signals

        signals.connect()
