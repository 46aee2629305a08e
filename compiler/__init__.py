"""A content compiler: a question bank in Markdown -> Anki, PDF, EPUB, a JSON API and a website."""

__version__ = "0.2.0"
