"""What identifies the cards made from a question, besides its id and its key points' ids: one
rule, used by the Anki backend that names the notes and by `check --against` that guards them."""

from __future__ import annotations

from schema.models import Formula


def formula_keys(formulas: list[Formula]) -> list[str]:
    """What identifies each formula of a question: its `id`, else its name (reordering formulas
    keeps every card's history; an `id` lets the name change). A key used twice in one question
    gets `#2`, `#3` ... in order."""
    seen: dict[str, int] = {}
    keys = []
    for formula in formulas:
        name = " ".join((formula.id or formula.name).split())
        seen[name] = seen.get(name, 0) + 1
        keys.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return keys
