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


# Sent by web/static/web/offline.js with each form it submits (XMLHttpRequest follows redirects by
# itself and cannot be told not to).
SCRIPT_SUBMIT_HEADER = "X-Yiwang-Submit"
LOCATION_HEADER = "X-Yiwang-Location"


class ScriptSubmitMiddleware:
    """A form sent by the page's script is told where its redirect goes instead of being redirected:
    XMLHttpRequest would follow a 303 itself, fetching the result page (and using up its one-time
    messages) before the browser goes there. Browsers posting the form themselves get the 303."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "POST" and request.headers.get(SCRIPT_SUBMIT_HEADER) and response.status_code in (301, 302, 303, 307, 308):
            # The same response (its cookies: the session, the messages) with the place named instead.
            response[LOCATION_HEADER] = response["Location"]
            del response["Location"]
            response.status_code = 200
            response["Cache-Control"] = "no-store"
        return response
