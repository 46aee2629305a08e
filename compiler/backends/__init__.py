"""The registry of backends. A new backend is a module here and one line in `REGISTRY`.

Backends are imported when first used: WeasyPrint alone takes a second to import, which a
build of only the JSON API (or a build with nothing to do) should not pay.
"""

from __future__ import annotations

import importlib

from compiler.backends.base import Backend, BuildContext
from compiler.registry import REGISTRY


class Backends(dict[str, type[Backend]]):
    """A dict of backend classes that imports each one on first access."""

    def __missing__(self, name: str) -> type[Backend]:
        if name not in REGISTRY:
            raise KeyError(name)
        module, _, cls = REGISTRY[name].partition(":")
        backend: type[Backend] = getattr(importlib.import_module(module), cls)
        self[name] = backend
        return backend

    def names(self) -> list[str]:
        return list(dict.fromkeys([*REGISTRY, *self.keys()]))


BACKENDS = Backends()

__all__ = ["BACKENDS", "REGISTRY", "Backend", "BuildContext"]
