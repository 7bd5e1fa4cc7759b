from django.tasks import task


@task
def deliver_case_event(event_id: int) -> int:
    from .services import deliver

    return deliver(event_id)
