from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = "Postmortems"

    def ready(self):
        from postmortems import search  # noqa: F401 — connects the search index's receivers
