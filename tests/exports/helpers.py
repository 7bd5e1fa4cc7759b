"""Going through an export job the way a person does: ask on the page (a POST that answers at
once with the job's page), let the worker write it (the real task function, run here), download."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import resolve


@dataclass
class Downloaded:
    job: object
    content: bytes
    response: object


def job_from_redirect(response):
    from yiwang.exports.models import ExportJob

    assert response.status_code == 302, response.status_code
    match = resolve(response.url)
    assert match.view_name == "exports:detail", response.url
    return ExportJob.objects.get(pk=match.kwargs["pk"])


def run_job(job) -> str:
    """What `yiwang worker` does with the queued job: the real task function, synchronously."""
    from yiwang.exports.tasks import run_export_job

    job.refresh_from_db()
    if job.status == "queued":  # an ImmediateBackend has already run it
        run_export_job.call(job.pk)
    job.refresh_from_db()
    return job.status


def export_via_job(client, url: str, data: dict | None = None) -> Downloaded:
    """POST the page's export button, run the job, download the file as its owner."""
    job = job_from_redirect(client.post(url, data or {}))
    assert run_job(job) == "done", (job.failure, job.error)
    response = client.get(f"/exports/{job.pk}/download")
    assert response.status_code == 200, response.status_code
    assert response["Content-Disposition"].startswith("attachment")
    return Downloaded(job, b"".join(response.streaming_content), response)


def forms_nest(html: str) -> bool:
    """True if a <form> opens inside another: browsers drop the inner one, so its button would
    submit the outer form (an export button inside a filter form would just filter)."""
    from html.parser import HTMLParser

    class Forms(HTMLParser):
        depth, nested = 0, False

        def handle_starttag(self, tag, attrs):
            if tag == "form":
                self.nested |= self.depth > 0
                self.depth += 1

        def handle_endtag(self, tag):
            if tag == "form":
                self.depth -= 1

    parser = Forms()
    parser.feed(html)
    return parser.nested
