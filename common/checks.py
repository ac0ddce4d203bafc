from django.conf import settings
from django.core.checks import Error, register


@register()
def secret_key_is_set(app_configs, **kwargs):
    if not getattr(settings, "_wrapped", None) or not settings._wrapped.SECRET_KEY:
        return [Error("SECRET_KEY is empty: set the SECRET_KEY environment variable.", id="common.E001")]
    return []
