"""A content compiler: a question bank in Markdown -> Anki, PDF, EPUB and a JSON API."""
