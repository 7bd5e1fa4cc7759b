from django.db import connection
from django.http import JsonResponse

from yiwang.regions.models import Region


def healthz(request):
    return JsonResponse({"status": "ok", "database": connection.vendor, "regions": Region.objects.count()})
