"""Load the demo plant into the emulator: `manage.py load_demo [--project demo]`.

Idempotent: spaces and containers are applied (an upsert), and a stream gets its records only
when this command creates it, so a second run changes nothing.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from emulator import demo, store, streams, views
from emulator.models import Stream
from emulator.values import epoch_ms

# Small batches spread the lastUpdatedTime of the demo records over their weeks.
BATCH = 50


class Command(BaseCommand):
    help = "Load the demo plant (spaces, containers, streams, records) into the embedded emulator."

    def add_arguments(self, parser):
        parser.add_argument("--project", default=settings.CDF_PROJECT)

    def handle(self, *args, project, **options):
        views.apply_spaces(project, demo.SPACES)
        views.apply_containers(project, demo.CONTAINERS)
        for stream_id, template in demo.STREAMS:
            if Stream.objects.filter(project=project, external_id=stream_id).exists():
                self.stdout.write(f"Stream {stream_id} is already there")
                continue
            body = {"items": [{"externalId": stream_id, "settings": {"template": {"name": template}}}]}
            stream = streams.create(project, body)
            pairs = demo.stream_records(stream_id)
            for start in range(0, len(pairs), BATCH):
                chunk = pairs[start : start + BATCH]
                items = views.validated_items(project, stream, {"items": [item for _, item in chunk]})
                store.write(stream, items, "ingest", {}, at=epoch_ms(chunk[-1][0]))
            self.stdout.write(f"Stream {stream_id} ({template}): {len(pairs)} records")
