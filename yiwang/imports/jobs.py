"""Imports' periodic job: uploads previewed but never started are deleted (YIWANG_IMPORT_PREVIEW_HOURS)."""

from yiwang.core import jobs


@jobs.periodic("imports.prune_previews", order=80)
def prune_stale_previews(now) -> int:
    from .services import prune_previews

    return prune_previews(now=now)
