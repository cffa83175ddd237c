"""HunyuanOCR's official task prompts and sampling settings.

The prompts are copied verbatim from the model's repository (``inference/utils/tasks.py`` of
Tencent-Hunyuan/HunyuanOCR): the maintainers lock them because hand-edited instructions silently
degrade quality. Do not reword them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

SPOTTING = "检测并识别图片中的文字，将文本坐标格式化输出。"
"""Text spotting (1.0 and 1.5 ``spotting_hunyuan``): ``text(x1,y1),(x2,y2)`` items, coordinates in [0, 1000]."""

SPOTTING_JSON = (
    "检测并识别图中所有的文字行，请按从上到下、从左到右的阅读顺序进行识别。 "
    "输出格式为 JSON 数组，每个元素必须包含："
    '"box": [xmin, ymin, xmax, ymax]（坐标需归一化到 [0, 1000] 范围内）；'
    '"text": "识别出的文字内容"。 '
    "注意：请直接输出 JSON 数组，不要包含任何多余的描述性文字。"
)
"""Text spotting as a JSON array (1.5 ``spotting_json``)."""

DOC_PARSE = (
    "提取文档图片中正文的所有信息用markdown格式表示，其中页眉、页脚部分忽略，表格用html格式表达，"
    "文档中公式用latex格式表示，按照阅读顺序组织进行解析。"
)
"""Document parsing (``doc_parse``): Markdown body, tables as HTML, formulas as LaTeX, no header/footer."""

TRANSLATE = {
    "en": "按照阅读顺序，提取图中文字，公式用latex格式表示，表格用markdown格式表示，再将文字内容翻译为英文。",
    "zh": "按照阅读顺序，提取图中文字，公式用latex格式表示，表格用markdown格式表示，再将文字内容翻译为中文。",
}
"""Photo translation (1.5 ``trans_other2en`` and ``trans_other2zh``)."""

TargetLanguage = Literal["en", "zh"]


def extraction_prompt(fields: Sequence[str]) -> str:
    """The information-extraction prompt for ``fields``, in the README's list notation ``['a','b']``."""
    listed = ",".join("'" + field.replace("'", "’") + "'" for field in fields)
    return f"提取图片中的: [{listed}] 的字段内容，并按照 JSON 格式返回。"


@dataclass(frozen=True)
class Sampling:
    """Decoding settings sent with every request (all greedy: temperature 0)."""

    temperature: float
    top_p: float
    top_k: int
    repetition_penalty: float

    def request_fields(self) -> dict[str, float | int]:
        """The fields of an OpenAI-compatible request body (``top_k`` and ``repetition_penalty`` are vLLM extras)."""
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "repetition_penalty": self.repetition_penalty,
        }


SAMPLING_1_0 = Sampling(temperature=0.0, top_p=1.0, top_k=1, repetition_penalty=1.0)
"""HunyuanOCR 1.0 (Nov 2025): plain greedy decoding."""

SAMPLING_1_5 = Sampling(temperature=0.0, top_p=1.0, top_k=-1, repetition_penalty=1.08)
"""HunyuanOCR 1.5: greedy with a mild repetition penalty (what the official 1.5 clients send)."""
