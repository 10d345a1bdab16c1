"""A static HTML report: sections of prose, figures (PNG files beside the page) and tables."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .rundir import atomic_path

STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, Segoe UI, sans-serif; color: #222;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
.lede { color: #555; } figure { margin: 1em 0; display: inline-block; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 0.25em 0.7em; text-align: left; }
th { background: #f6f6f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { padding: 0.6em 1em; border-left: 4px solid #4a8; background: #f3faf6; }
.verdict.bad { border-color: #c74; background: #fcf5f0; }
nav a { margin-right: 1em; } code { background: #f4f4f4; padding: 0 0.2em; }
"""


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)  # (file name, caption)
    tables: list[tuple[Sequence[str], Sequence[Sequence[object]]]] = field(default_factory=list)
    verdicts: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f'<td class="num">{value:.3f}</td>'
    if isinstance(value, int):
        return f'<td class="num">{value}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def render(title: str, lede: str, sections: Sequence[Section]) -> str:
    nav = " ".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class='lede'>{html.escape(lede)}</p><nav>{nav}</nav>",
    ]
    for s in sections:
        parts.append(f'<h2 id="{s.anchor}">{html.escape(s.title)}</h2>')
        for text, good in s.verdicts:
            parts.append(f'<p class="verdict{"" if good else " bad"}">{html.escape(text)}</p>')
        parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        for name, caption in s.figures:
            parts.append(
                f'<figure><img src="{html.escape(name)}" alt="{html.escape(caption)}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
        for header, rows in s.tables:
            head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
            body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(path: Path, title: str, lede: str, sections: Sequence[Section]) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(render(title, lede, sections))
    return path
