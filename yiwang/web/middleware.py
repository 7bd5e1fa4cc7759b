from django.conf import settings
from django.utils import translation


class ChosenLanguageMiddleware:
    """Chinese unless the user picked another language (the language cookie set by /i18n/setlang/).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: staff machines
    often run English-language browsers, and the platform's working language is Chinese."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
