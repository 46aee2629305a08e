"""The backends by name, in the order a full build runs them: a module of its own so that the
command line can name them (`--only`'s help) without importing any backend or their contract."""

# name -> "module:Class", in the order a full build runs them (slowest first, so the
# parallel workers finish together).
REGISTRY = {
    "pdf": "compiler.backends.pdf.backend:PdfBackend",
    "epub": "compiler.backends.epub.backend:EpubBackend",
    "anki": "compiler.backends.anki.backend:AnkiBackend",
    "api": "compiler.backends.api.backend:ApiBackend",
    "site": "compiler.backends.site.backend:SiteBackend",
}
