"""The template's Markdown in and out: export (Markdown, JSON, zip) and import.

``markup`` holds the small, reversible encodings both directions share (table cells, indented
blocks, times); ``export`` writes a document; ``importer`` reads one back. The format is
described in ``export``'s docstring and in the README.
"""
