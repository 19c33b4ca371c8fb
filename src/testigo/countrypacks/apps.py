from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CountryPacksConfig(AppConfig):
    name = "testigo.countrypacks"
    label = "countrypacks"
    verbose_name = _("Country packs")
