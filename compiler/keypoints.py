"""Key points: one fact each, the part to recall marked `==like this==` (the highlight syntax of
Obsidian and of pandoc's `mark` extension, readable on GitHub and in any editor).

An author's point is checked here, on its source text, so a mistake is reported where it is
written; pandoc turns the spans into `<mark>` in phase one, and each backend turns `<mark>` into
what it shows (an Anki cloze, bold on paper, a blank to reveal on the site).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_POINTS, MAX_POINTS = 2, 7
LONG_POINT = 80  # characters of text (markers and math not counted): longer is not one fact
MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
# What pandoc never reads as a span: code spans and inline math are masked before counting `==`.
_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_MATH = re.compile(r"(?<![\\$])\$(?!\s)(?:\\.|[^$\\])+?(?<!\s)\$")


@dataclass(frozen=True)
class PointProblem:
    severity: str  # "error" or "warning"
    message: str
    hint: str
    column: int = 0  # in the point's text, from 0, where the problem starts


def card_number(point_id: str) -> int:
    """The Anki cloze number of a point: `k7` is card 7, whatever the point's position."""
    return int(point_id[1:])


def _masked(text: str) -> str:
    """`text` with code spans and inline math blanked out (same length, so columns still hold)."""
    for pattern in (_CODE, _MATH):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every `==span==` of a point's text, markers included."""
    masked = _masked(text)
    marks = [m.start() for m in re.finditer("==", masked)]
    return [(marks[i], marks[i + 1] + 2) for i in range(0, len(marks) - 1, 2)]


def problems(text: str) -> list[PointProblem]:
    """What is wrong with one point's text, located within it."""
    masked = _masked(text)
    marks = [m.start() for m in re.finditer("==", masked)]
    found: list[PointProblem] = []
    if not marks:
        return [
            PointProblem(
                "error",
                "the key point has no part to recall",
                "mark it with == on both sides: 'Adam 的默认 ==β₁ = 0.9=='",
            )
        ]
    if len(marks) % 2:
        found.append(
            PointProblem(
                "error",
                "unbalanced '==': a span is opened and never closed",
                "every == that opens a span needs a second == that closes it",
                marks[-1],
            )
        )
    for start, end in spans(text):
        inner = text[start + 2 : end - 2]
        inner_masked = masked[start + 2 : end - 2]
        if not inner.strip():
            found.append(
                PointProblem("error", "an empty '====' span", "put the words to recall inside", start)
            )
        elif "::" in inner:
            found.append(
                PointProblem(
                    "error",
                    "'::' inside a span: Anki would read it as a cloze hint",
                    "write it outside the span, or as ':\\,:' in math",
                    start + 2 + inner.index("::"),
                )
            )
        elif "}}" in inner_masked or inner_masked.rstrip().endswith("}"):
            found.append(
                PointProblem(
                    "error",
                    "'}' closing a span: Anki would end the cloze there",
                    "rephrase so that the span does not end with '}' (math is safe: keep it in $...$)",
                    start
                    + 2
                    + (inner_masked.find("}}") if "}}" in inner_masked else inner_masked.rfind("}")),
                )
            )
    plain = len(_MATH.sub("x", text).replace("==", ""))
    if plain > LONG_POINT:
        found.append(
            PointProblem(
                "warning",
                f"the key point is {plain} characters long: more than one fact to recall?",
                f"split it, or keep it under {LONG_POINT} characters",
            )
        )
    return found
