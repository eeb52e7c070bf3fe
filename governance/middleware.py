from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

API_PREFIX = "/api/"


def _accepted_language(header: str) -> str | None:
    """The first supported language of an Accept-Language header, or None."""
    for language, _quality in parse_accept_lang_header(header):
        if language == "*":
            return None
        try:
            return translation.get_supported_language_variant(language)
        except LookupError:
            continue
    return None


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise in the header (the language cookie).

    The browser's Accept-Language is ignored on pages on purpose: these are Chinese government
    systems, and a workstation with an English browser should still open in Chinese. An API client
    says which language it reads with Accept-Language (a program has no language switch); stored
    messages (notifications) are rendered in it.
    """

    def process_request(self, request):
        language = None
        if request.path_info.startswith(API_PREFIX):
            language = _accepted_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        if language is None:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not language or not translation.check_for_language(language):
            language = settings.LANGUAGE_CODE
        language = translation.get_supported_language_variant(language)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
