"""Django admin for superusers. Deleting here marks rows deleted; nothing is removed."""

from django.contrib import admin

from testigo.core import models


@admin.register(models.VocabularyTerm)
class VocabularyTermAdmin(admin.ModelAdmin):
    list_display = ("vocabulary", "code", "name_es", "name_en", "rome_statute")
    list_filter = ("vocabulary",)
    search_fields = ("code", "name_es", "name_en")


@admin.register(models.Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "pack")
    list_filter = ("level", "pack")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(models.PerpetratorBody)
class PerpetratorBodyAdmin(admin.ModelAdmin):
    list_display = ("code", "name_es", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("code", "name_es", "name_en")


@admin.register(models.DetentionFacility)
class DetentionFacilityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "place", "operator")
    search_fields = ("code", "name")
    raw_id_fields = ("place",)


@admin.register(models.Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "reliability", "credibility", "obtained")
    list_filter = ("kind", "reliability")
    search_fields = ("name",)


@admin.register(models.Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("pseudonym_code", "role", "sex", "protected")
    list_filter = ("role", "sex", "protected")
    search_fields = ("pseudonym_code", "given_names", "surnames", "national_id")


@admin.register(models.Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "external_key", "version", "surnames", "act_type", "person")
    list_filter = ("source", "act_type")
    search_fields = ("given_names", "surnames", "national_id", "external_key")
    raw_id_fields = ("person", "supersedes", "place")


@admin.register(models.Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("title", "date", "place")
    raw_id_fields = ("place",)


@admin.register(models.Violation)
class ViolationAdmin(admin.ModelAdmin):
    list_display = ("id", "victim", "act_type", "date", "status")
    list_filter = ("act_type", "status")
    raw_id_fields = ("victim", "incident", "place", "records", "perpetrator_persons")


@admin.register(models.Detention)
class DetentionAdmin(admin.ModelAdmin):
    list_display = ("id", "person", "start", "facility", "status")
    list_filter = ("status",)
    raw_id_fields = ("person", "violation", "arrest_place")


@admin.register(models.Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "target_body", "status")
    filter_horizontal = ("lawyers",)
    raw_id_fields = ("clients", "violations")
