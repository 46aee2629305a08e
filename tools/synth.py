#!/usr/bin/env python3
"""Generate a synthetic question bank of any size, for benchmarks and load tests.

    python3 tools/synth.py N OUT_DIR

writes a complete bank folder: ``bank.yaml``, ``companies.yaml`` and ``tags.yaml`` copied from
``source/``, a few figures copied from ``source/figures/``, up to ten chapter folders and N question
files that look like the real ones: Chinese paragraphs built from a fixed vocabulary of CV/DL
terms, inline and display math (``\\frac``, ``\\sum``, ``\\sqrt``, ``aligned`` ...), and in some
questions a list, a Markdown table, a Python code block, a figure, ``formulas``, companies and
errata in the front matter. The bank passes ``python3 -m compiler --source OUT_DIR check``.

The output is deterministic: the same N gives byte-identical files. Every question draws from its
own ``random.Random`` seeded with its index (never the global random state), so question 42 is the
same in a bank of 500 and in a bank of 10,000; only the split into chapters depends on N.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"
SEED = "qbank-synth-1"  # change to get a different (still deterministic) bank
MAX_CHAPTERS = 10
QUESTIONS_PER_CHAPTER = 50  # below MAX_CHAPTERS * this, a chapter holds about this many
# Chinese text puts a space between Han characters and Latin words or numbers ("使用 Adam 优化器").
HAN_LATIN = re.compile(r"(?<=[\u4e00-\u9fff])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9%])(?=[\u4e00-\u9fff])")

# Figures copied from source/figures and the alt text of their references.
FIGURES: dict[str, str] = {
    "iou.svg": "IoU 示意图：检测框与真实框的交集和并集",
    "nms.svg": "非极大值抑制前后的检测框",
    "residual-block.svg": "残差块的结构：恒等映射与残差分支相加",
}

# (Chinese term, ASCII slug for file names and ids).
TOPICS: tuple[tuple[str, str], ...] = (
    ("卷积神经网络", "cnn"),
    ("批归一化", "batch-norm"),
    ("残差连接", "residual"),
    ("注意力机制", "attention"),
    ("特征金字塔网络", "fpn"),
    ("非极大值抑制", "nms"),
    ("感受野", "receptive-field"),
    ("学习率衰减", "lr-decay"),
    ("动量法", "momentum"),
    ("权重衰减", "weight-decay"),
    ("数据增强", "augmentation"),
    ("交叉熵损失", "cross-entropy"),
    ("焦点损失", "focal-loss"),
    ("梯度消失", "vanishing-gradient"),
    ("梯度爆炸", "exploding-gradient"),
    ("最大池化", "max-pooling"),
    ("全连接层", "fully-connected"),
    ("锚框", "anchor"),
    ("区域建议网络", "rpn"),
    ("语义分割", "semantic-segmentation"),
    ("实例分割", "instance-segmentation"),
    ("迁移学习", "transfer-learning"),
    ("知识蒸馏", "distillation"),
    ("模型剪枝", "pruning"),
    ("模型量化", "quantization"),
    ("反向传播", "backprop"),
    ("随机梯度下降", "sgd"),
    ("Adam 优化器", "adam"),
    ("Dropout", "dropout"),
    ("Softmax", "softmax"),
    ("ReLU 激活函数", "relu"),
    ("空洞卷积", "dilated-conv"),
    ("深度可分离卷积", "depthwise-conv"),
    ("标签平滑", "label-smoothing"),
    ("难例挖掘", "hard-mining"),
    ("交并比", "iou"),
    ("平均精度均值", "map"),
    ("霍夫变换", "hough"),
    ("SIFT 特征", "sift"),
    ("HOG 特征", "hog"),
    ("LSTM", "lstm"),
    ("Transformer", "transformer"),
    ("ResNet", "resnet"),
    ("YOLO", "yolo"),
    ("Faster R-CNN", "faster-rcnn"),
    ("U-Net", "unet"),
)
VERBS = ("提升了", "降低了", "缓解了", "加速了", "改善了", "决定了", "影响了", "增强了", "限制了")
OBJECTS = (
    "模型的泛化能力",
    "训练的稳定性",
    "收敛速度",
    "推理延迟",
    "显存占用",
    "小目标的检测效果",
    "特征的表达能力",
    "参数量",
    "计算量",
    "定位精度",
    "类别不平衡带来的偏差",
    "梯度在深层网络中的传播",
)
CONNECTORS = ("因此", "此外", "同时", "然而", "一般来说", "在实践中", "值得注意的是", "换句话说", "相比之下")
DATASETS = ("ImageNet", "COCO", "Pascal VOC", "Cityscapes", "CIFAR-10", "MNIST")
METRICS = ("Top-1 精度", "mAP", "mIoU", "召回率", "F1 分数")
TITLES = (
    "什么是{a}？",
    "{a}和{b}有什么区别？",
    "为什么{a}能够{verb}{obj}？",
    "请解释{a}的原理，以及它的优缺点。",
    "{a}在{dataset}这类任务中如何使用？",
    "如何理解{a}与{b}之间的关系？",
)
SUB_TAGS = ("basics", "theory", "practice", "advanced")
DIFFICULTIES = ("easy", "medium", "hard")

# Display formulas: (name, TeX). @x, @i, @j, @N, @w, @k are placeholders filled once per question,
# @d a number drawn for each formula: the bank has as many distinct formulas as a real one of its
# size (about four per question), which matters to the math renderers and their caches.
DISPLAY: tuple[tuple[str, str], ...] = (
    ("Softmax 概率", r"p_{@i} = \frac{\exp(@x_{@i})}{\sum_{@j=1}^{@N} \exp(@x_{@j})}"),
    ("交叉熵损失", r"\mathcal{L} = -\frac{1}{@d} \sum_{@i=1}^{@d} y_{@i} \log \hat{y}_{@i}"),
    ("梯度下降更新", r"@w_{t+1} = @w_{t} - 0.@d \, \nabla_{@w} \mathcal{L}(@w_{t})"),
    ("批归一化", r"\hat{@x}_{@i} = \frac{@x_{@i} - \mu_{B}}{\sqrt{\sigma_{B}^{2} + \epsilon}}"),
    ("输出尺寸", r"o = \left\lfloor \frac{@d + 2p - @k}{s} \right\rfloor + 1"),
    ("L2 正则化", r"J(@w) = \mathcal{L}(@w) + \frac{\lambda}{2} \| @w \|_{2}^{2}"),
    ("交并比", r"\mathrm{IoU}(A, B) = \frac{|A \cap B|}{|A \cup B|}"),
    ("均方误差", r"\mathrm{MSE} = \frac{1}{@d} \sum_{@i=1}^{@d} (y_{@i} - \hat{y}_{@i})^{2}"),
    ("Sigmoid 函数", r"\sigma(@x) = \frac{1}{1 + e^{-@d @x}}"),
    ("感受野递推", r"r_{l} = r_{l-1} + (@k - 1) \prod_{@i=1}^{l-1} s_{@i}"),
    ("F1 分数", r"F_{1} = \frac{2 \cdot P \cdot R}{P + R}"),
    ("二维卷积", r"y_{@i,@j} = \sum_{m=0}^{@k-1} \sum_{n=0}^{@k-1} @w_{m,n} \, x_{@i+m,@j+n}"),
    (
        "动量法更新",
        "\\begin{aligned}\nv_{t} &= \\gamma v_{t-1} + \\eta \\nabla_{@w} \\mathcal{L}(@w_{t-1}) \\\\\n"
        "@w_{t} &= @w_{t-1} - v_{t}\n\\end{aligned}",
    ),
    (
        "Adam 偏差校正",
        "\\begin{aligned}\n\\hat{m}_{t} &= \\frac{m_{t}}{1 - \\beta_{1}^{t}} \\\\\n"
        "\\hat{v}_{t} &= \\frac{v_{t}}{1 - \\beta_{2}^{t}} \\\\\n"
        "@w_{t+1} &= @w_{t} - \\frac{\\eta}{\\sqrt{\\hat{v}_{t}} + \\epsilon} \\hat{m}_{t}\n\\end{aligned}",
    ),
)
INLINE = (
    r"@x_{@i}",
    r"@x_{@d}",
    r"\eta = 0.0@d",
    r"@d \times @d",
    r"\lambda = 10^{-@k}",
    r"O(@N^{2})",
    r"\beta_{1} = 0.9",
    r"\sqrt{d_{@i}}",
    r"\frac{1}{@d}",
    r"@w \in \mathbb{R}^{@d \times @N}",
    r"\hat{y}_{@i}",
    r"\sum_{@i=1}^{@d} @x_{@i}",
    r"\sigma(@x)",
)
CODE: tuple[str, ...] = (
    """def {name}(boxes, scores, threshold={value}):
    \"\"\"Greedy NMS: keep the best box, drop boxes that overlap it too much.\"\"\"
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep = []
    while order:
        best = order.pop(0)
        keep.append(best)
        order = [i for i in order if iou(boxes[best], boxes[i]) < threshold]
    return keep""",
    """import numpy as np


def {name}(z, axis=-1):
    \"\"\"Softmax, shifted by the maximum for numerical stability.\"\"\"
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True) * {value}""",
    """def {name}(step, base_lr={value}, warmup=500, total=10000):
    \"\"\"Linear warm-up followed by cosine decay.\"\"\"
    import math
    if step < warmup:
        return base_lr * step / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * base_lr * (1 + math.cos(math.pi * progress))""",
    """import torch.nn as nn


class {cls}(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels, momentum={value})

    def forward(self, x):
        return x + self.bn(self.conv(x)).relu()""",
)


@dataclass(frozen=True)
class Registry:
    """What the question front matter may refer to: tag roots and company spellings."""

    tags: tuple[str, ...]
    tag_titles: tuple[str, ...]
    companies: tuple[tuple[str, ...], ...]  # per company: its name and aliases


@dataclass(frozen=True)
class Formula:
    name: str
    tex: str


def load_registry(source: Path) -> Registry:
    tags_doc = yaml.safe_load((source / "tags.yaml").read_text(encoding="utf-8"))
    companies_doc = yaml.safe_load((source / "companies.yaml").read_text(encoding="utf-8"))
    tags = tuple(str(k) for k in tags_doc["tags"])
    titles = tuple(str(v).split("：")[0] for v in tags_doc["tags"].values())
    companies: list[tuple[str, ...]] = []
    for company in companies_doc["companies"]:
        # Aliases with a comma or bracket would need YAML quoting; the real registry has none.
        aliases = [str(a) for a in company.get("aliases", []) if not set(str(a)) & set(",[]")]
        companies.append((str(company["name"]), *aliases))
    return Registry(tags, titles, tuple(companies))


def chapter_sizes(n: int) -> list[int]:
    """Questions per chapter: one chapter per ~50 questions, at most MAX_CHAPTERS."""
    count = max(1, min(MAX_CHAPTERS, -(-n // QUESTIONS_PER_CHAPTER)))
    return [n // count + (1 if c < n % count else 0) for c in range(count)]


class QuestionWriter:
    """Builds one question file from its own seeded random generator."""

    def __init__(self, index: int, chapter_tag: str, registry: Registry) -> None:
        self.index = index
        self.rng = random.Random(f"{SEED}:{index}")
        self.chapter_tag = chapter_tag
        self.registry = registry
        self.topic, self.topic_slug = self.rng.choice(TOPICS)
        # One set of symbols per question keeps its formulas consistent with each other.
        self.symbols = {
            "@x": self.rng.choice("xzhau"),
            "@i": self.rng.choice("ic"),
            "@j": self.rng.choice("jk"),
            "@N": self.rng.choice("NMK"),
            "@w": self.rng.choice(["w", "W", r"\theta"]),
            "@k": str(self.rng.randint(2, 9)),
        }

    @property
    def slug(self) -> str:
        return f"q{self.index:05d}-{self.topic_slug}"

    def text(self) -> str:
        title = self.title()
        blocks, formulas = self.answer()
        sentence = self.sentence()
        blocks.insert(1, sentence)
        errata = self.erratum(sentence) if self.rng.random() < 0.05 else ""
        return f"---\n{self.front_matter(formulas)}{errata}---\n\n# {title}\n\n" + "\n\n".join(blocks) + "\n"

    # -- front matter -------------------------------------------------------------------------

    def front_matter(self, formulas: list[Formula]) -> str:
        rng = self.rng
        tags = [self.tag(self.chapter_tag)]
        if rng.random() < 0.4:
            extra = self.tag(rng.choice(self.registry.tags))
            if extra.split("/")[0] != tags[0].split("/")[0]:
                tags.append(extra)
        lines = [f"id: synth-{self.slug}", f"tags: [{', '.join(tags)}]"]
        if rng.random() < 0.25 and self.registry.companies:
            count = min(len(self.registry.companies), rng.randint(1, 2))
            # Authors write a company by its name or any alias.
            picked = [rng.choice(spellings) for spellings in rng.sample(self.registry.companies, k=count)]
            lines.append(f"company: [{', '.join(picked)}]")
        lines.append(f"difficulty: {rng.choice(DIFFICULTIES)}")
        lines.append(f"source: 合成题 {self.index}")
        if formulas:
            lines.append("formulas:")
            for f in formulas:
                lines += [f"  - name: {f.name}", f"    tex: '{f.tex}'"]
        return "\n".join(lines) + "\n"

    def tag(self, root: str) -> str:
        return f"{root}/{self.rng.choice(SUB_TAGS)}" if self.rng.random() < 0.4 else root

    def erratum(self, sentence: str) -> str:
        was = sentence.replace("的", "得", 1) if "的" in sentence else sentence + "。"
        # Single-quoted YAML: the sentence may hold TeX backslashes, never a quote.
        return f"errata:\n  - was: '{was}'\n    now: '{sentence}'\n    why: 笔误，“的”与“得”混用。\n"

    # -- body ---------------------------------------------------------------------------------

    def title(self) -> str:
        rng = self.rng
        other = rng.choice(TOPICS)[0]
        return rng.choice(TITLES).format(
            a=self.topic,
            b=other,
            verb=rng.choice(VERBS).removesuffix("了"),
            obj=rng.choice(OBJECTS),
            dataset=rng.choice(("目标检测", "语义分割", "图像分类")),
        )

    def answer(self) -> tuple[list[str], list[Formula]]:
        """The answer's Markdown blocks and the formulas named in the front matter."""
        rng = self.rng
        blocks = [self.paragraph()]
        formulas: list[Formula] = []
        extras: list[Callable[[], str]] = []
        if rng.random() < 0.3:
            extras.append(self.bullet_list)
        if rng.random() < 0.12:
            extras.append(self.table)
        if rng.random() < 0.15:
            extras.append(self.code_block)
        if rng.random() < 0.12:
            extras.append(self.figure)
        for _ in range(rng.choice((0, 1, 1, 1, 2))):
            formula = self.display_formula()
            blocks.append(f"{self.sentence()}其计算公式为：\n\n$$\n{formula.tex}\n$$")
            if rng.random() < 0.6 and formula.name not in {f.name for f in formulas}:
                formulas.append(formula)
        for extra in extras:
            blocks.append(extra())
        for _ in range(rng.randint(2, 4)):
            blocks.append(self.paragraph())
        return blocks, formulas

    def paragraph(self) -> str:
        return "".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def sentence(self) -> str:
        return HAN_LATIN.sub(" ", self._sentence())

    def _sentence(self) -> str:
        rng = self.rng
        a, b = rng.choice(TOPICS)[0], rng.choice(TOPICS)[0]
        verb, obj = rng.choice(VERBS), rng.choice(OBJECTS)
        kind = rng.randrange(6)
        if kind == 0:
            return f"{rng.choice(CONNECTORS)}，{a}{verb}{obj}。"
        if kind == 1:
            return f"{a}的核心思想是利用{b}来改善{obj}。"
        if kind == 2:
            return f"当 ${self.inline_math()}$ 时，{a}往往{verb}{obj}。"
        if kind == 3:
            gain = f"{rng.randint(1, 9)}.{rng.randint(0, 9)}"
            return f"实验表明，在 {rng.choice(DATASETS)} 上使用{a}可以把{rng.choice(METRICS)}提高约 {gain}%。"
        if kind == 4:
            return f"{a}与{b}的主要区别在于对{obj}的处理方式不同。"
        return f"设 ${self.inline_math()}$，则{a}的计算量与 ${self.inline_math()}$ 成正比。"

    def fill(self, tex: str) -> str:
        for token, value in self.symbols.items():
            tex = tex.replace(token, value)
        tex = tex.replace("@d", str(self.rng.randint(1, 999)))
        # `}}` would start Anki cloze syntax: the authoring guide asks for `} }`.
        while "}}" in tex:
            tex = tex.replace("}}", "} }")
        return tex

    def inline_math(self) -> str:
        return self.fill(self.rng.choice(INLINE))

    def display_formula(self) -> Formula:
        name, tex = self.rng.choice(DISPLAY)
        return Formula(name, self.fill(tex))

    def bullet_list(self) -> str:
        items = self.rng.sample(TOPICS, k=self.rng.randint(2, 5))
        return "\n".join(f"- **{term}**：{self.sentence()}" for term, _ in items)

    def table(self) -> str:
        rng = self.rng
        rows = ["| 方法 | 参数量（M） | Top-1 精度（%） | 说明 |", "| --- | ---: | ---: | --- |"]
        for term, _ in rng.sample(TOPICS, k=rng.randint(3, 5)):
            note = f"使用 ${self.inline_math()}$" if rng.random() < 0.3 else rng.choice(OBJECTS)
            rows.append(
                f"| {term} | {rng.randint(1, 150)}.{rng.randint(0, 9)} | "
                f"{rng.randint(60, 85)}.{rng.randint(0, 9)} | {note} |"
            )
        return f"{self.sentence()}下表对比了几种常见做法：\n\n" + "\n".join(rows)

    def code_block(self) -> str:
        rng = self.rng
        code = rng.choice(CODE).format(
            name=f"{self.topic_slug.replace('-', '_')}_{rng.randint(1, 99)}",
            cls=f"Block{rng.randint(1, 99)}",
            value=rng.choice(("0.1", "0.5", "0.01", "0.9", "1.0")),
        )
        return f"用 Python 实现如下：\n\n```python\n{code}\n```"

    def figure(self) -> str:
        name = self.rng.choice(sorted(FIGURES))
        return f"![{FIGURES[name]}](../figures/{name})\n\n{self.sentence()}"


def write_bank(n: int, out: Path, source: Path = SOURCE) -> None:
    """Write a bank of `n` questions into `out` (which must not exist or be empty)."""
    if n < 1:
        raise ValueError("N must be at least 1")
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: choose a new folder")
    registry = load_registry(source)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("bank.yaml", "companies.yaml", "tags.yaml"):
        shutil.copyfile(source / name, out / name)
    (out / "figures").mkdir()
    for name in sorted(FIGURES):
        shutil.copyfile(source / "figures" / name, out / "figures" / name)
    index = 0
    for c, size in enumerate(chapter_sizes(n)):
        tag = registry.tags[c % len(registry.tags)]
        folder = out / f"{c + 1:02d}-synth-{tag}"
        folder.mkdir()
        title = f"合成第 {c + 1} 章：{registry.tag_titles[c % len(registry.tag_titles)]}"
        (folder / "chapter.yaml").write_bytes(f"title: {title}\n".encode())
        width = max(2, len(str(size)))
        for number in range(1, size + 1):
            index += 1
            writer = QuestionWriter(index, tag, registry)
            path = folder / f"{number:0{width}d}-{writer.slug}.md"
            path.write_bytes(writer.text().encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic question bank of N questions.")
    parser.add_argument("n", type=int, metavar="N", help="number of questions")
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="bank folder to create (new or empty)")
    parser.add_argument("--source", type=Path, default=SOURCE, help="real bank to copy settings from")
    args = parser.parse_args(argv)
    try:
        write_bank(args.n, args.out, args.source)
    except (ValueError, FileExistsError, OSError) as exc:
        print(f"synth: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
