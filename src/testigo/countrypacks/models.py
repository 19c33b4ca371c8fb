"""Which country packs are loaded, with the manifest they were loaded from."""

from django.db import models

from testigo.core.base import TestigoModel


class LoadedPack(TestigoModel):
    code = models.CharField(max_length=16, unique=True)
    manifest = models.JSONField()
    manifest_sha256 = models.CharField(max_length=64)
    gazetteer_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code
