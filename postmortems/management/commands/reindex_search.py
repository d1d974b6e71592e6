import time

from django.core.management.base import BaseCommand

from postmortems.search import reindex_all


class Command(BaseCommand):
    help = (
        "Rebuild the search text (and on PostgreSQL the weighted search vector) of every "
        "postmortem, set-based. Saves keep it current; this is for bulk loads and repairs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="Documents per SQL statement."
        )

    def handle(self, *args, batch_size, **options):
        started = time.perf_counter()

        def progress(done):
            if options["verbosity"] > 1:
                self.stdout.write(f"  {done:,} …")

        count = reindex_all(batch_size=batch_size, progress=progress)
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"Reindexed {count:,} postmortems in {seconds:.1f} s.")
        )
