"""A report as a list of blocks, rendered to Markdown or to one self-contained HTML page.

The content is built once (:mod:`modbench.report.content`) and rendered twice, so the Markdown
and the HTML page can never say different things. Text is plain with three inline marks,
```code```, ``**bold**`` and in-page links ``[text](#anchor)``; the HTML renderer escapes every
string before adding markup, so an entry or config name can never inject HTML. Plots are PNG bytes: Markdown links them as files,
HTML embeds them as base64 ``data:`` URIs, so the page needs no network and no side files.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field

import pandas as pd

from modbench.output import format_cell, markdown_cell
from modbench.text import printable


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2
    anchor: str | None = None


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Quote:
    """A source sentence in its own language, its English translation, and where it is from."""

    original: str
    english: str
    source: str


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame
    caption: str = ""


@dataclass(frozen=True)
class Plot:
    """A plot (PNG bytes), saved as ``plots/<name>.png`` next to the Markdown; ``missing`` says why there is none."""

    name: str
    png: bytes | None
    caption: str
    missing: str = "not measured in this run"


Block = Heading | Text | Bullets | Quote | Table | Plot


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).map(format_cell) if not frame.empty else frame


# ---------------------------------------------------------------- Markdown


def to_markdown(document: Document) -> str:
    """The document as GitHub Markdown; plots are linked as ``plots/<name>.png``."""
    out = [f"# {document.title}", ""]
    for block in document.blocks:
        if isinstance(block, Heading):
            anchor = [f'<a id="{block.anchor}"></a>', ""] if block.anchor and _ANCHOR.fullmatch(block.anchor) else []
            out += anchor + ["#" * block.level + " " + printable(block.text), ""]
        elif isinstance(block, Text):
            out += [block.text, ""]
        elif isinstance(block, Bullets):
            out += [f"- {item}" for item in block.items] + [""]
        elif isinstance(block, Quote):
            out += [f"> {block.original}", ">", f"> *{block.english}*", ">", f"> — {block.source}", ""]
        elif isinstance(block, Table):
            if block.caption:
                out += [f"*{block.caption}*", ""]
            # Cells are already formatted: tabulate must not parse them back into numbers; a "|" would
            # end the cell and a newline the row, so both are escaped.
            frame = _cells(block.frame).map(markdown_cell) if not block.frame.empty else block.frame
            out += [frame.to_markdown(index=False, tablefmt="github", disable_numparse=True) if not frame.empty else "(no rows)", ""]
        elif isinstance(block, Plot):
            if block.png is None:
                out += [f"*{block.caption}: {block.missing}.*", ""]
            else:
                out += [f"![{block.caption}](plots/{block.name}.png)", ""]
    return "\n".join(out).rstrip() + "\n"


def plot_files(document: Document) -> dict[str, bytes]:
    """``plots/<name>.png`` → PNG bytes, for every plot the Markdown links."""
    return {f"plots/{b.name}.png": b.png for b in document.blocks if isinstance(b, Plot) and b.png is not None}


# ---------------------------------------------------------------- HTML

_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(#([a-z0-9-]+)\)")
_ANCHOR = re.compile(r"[a-z0-9-]+")
"""Anchors links may point to: lower-case letters, digits and hyphens, so an anchor never needs escaping."""

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC","Noto Sans SC",sans-serif;
max-width:1180px;margin:2em auto;padding:0 1em;line-height:1.45;color:#212121}
h1{border-bottom:2px solid #333}h2{border-bottom:1px solid #bbb;margin-top:2em}
.scroll{overflow:auto;max-height:85vh;margin:.6em 0 1.2em}
table{border-collapse:collapse;font-size:.82em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2;position:sticky;top:0;z-index:1}tr:nth-child(even) td{background:#fafafa}
blockquote{border-left:4px solid #90a4ae;margin:.8em 0;padding:.3em 1em;background:#f6f8f9}
blockquote .en{font-style:italic;color:#455a64}blockquote .src{font-size:.85em;color:#607d8b}
code{background:#eef;padding:0 .25em;border-radius:3px}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:.85em;color:#555}
.holds{color:#2e7d32;font-weight:bold}.refuted{color:#c62828;font-weight:bold}
.mixed{color:#ef6c00;font-weight:bold}.unmeasured{color:#757575;font-weight:bold}
.undecided{color:#6d4c41;font-weight:bold}.reproduced{color:#2e7d32;font-weight:bold}.differs{color:#c62828;font-weight:bold}
.missing{color:#757575;font-style:italic}
"""

_VERDICT_WORDS = re.compile(r"\b(holds|refuted|mixed|unmeasured|undecided|reproduced|differs)\b")


def _html_text(text: str) -> str:
    """Escape, then mark up code spans, bold and verdict words."""
    pieces = []
    position = 0
    for match in _INLINE.finditer(text):
        pieces.append(_verdicts(html.escape(text[position : match.start()])))
        if match.group(1) is not None:
            pieces.append(f"<code>{html.escape(match.group(1))}</code>")
        elif match.group(3) is not None:
            pieces.append(f'<a href="#{match.group(4)}">{_verdicts(html.escape(match.group(3)))}</a>')
        else:
            pieces.append(f"<strong>{_verdicts(html.escape(match.group(2)))}</strong>")
        position = match.end()
    pieces.append(_verdicts(html.escape(text[position:])))
    return "".join(pieces)


def _verdicts(escaped: str) -> str:
    return _VERDICT_WORDS.sub(lambda m: f'<span class="{m.group(1)}">{m.group(1)}</span>', escaped)


def _html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return '<p class="missing">(no rows)</p>'
    cells = _cells(frame)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cells.columns)
    body = "".join("<tr>" + "".join(f"<td>{_verdicts(html.escape(v))}</td>" for v in row) + "</tr>" for row in cells.itertuples(index=False))
    # A wide or long table scrolls inside its own box, its header row kept in view.
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def to_html(document: Document) -> str:
    """One self-contained page: inline CSS, plots as base64 PNG, every string escaped."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(document.title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(document.title)}</h1>",
    ]
    for block in document.blocks:
        if isinstance(block, Heading):
            anchor = html.escape(block.anchor or _slug(block.text), quote=True)
            out.append(f'<h{block.level} id="{anchor}">{_html_text(block.text)}</h{block.level}>')
        elif isinstance(block, Text):
            out.append(f"<p>{_html_text(block.text)}</p>")
        elif isinstance(block, Bullets):
            out.append("<ul>" + "".join(f"<li>{_html_text(item)}</li>" for item in block.items) + "</ul>")
        elif isinstance(block, Quote):
            out.append(
                f'<blockquote><div lang="zh">{html.escape(block.original)}</div>'
                f'<div class="en">{html.escape(block.english)}</div>'
                f'<div class="src">— {html.escape(block.source)}</div></blockquote>'
            )
        elif isinstance(block, Table):
            caption = f"<p><em>{_html_text(block.caption)}</em></p>" if block.caption else ""
            out.append(caption + _html_table(block.frame))
        elif isinstance(block, Plot):
            if block.png is None:
                out.append(f'<p class="missing">{html.escape(block.caption)}: {html.escape(block.missing)}.</p>')
            else:
                data = base64.b64encode(block.png).decode("ascii")
                alt = html.escape(block.caption, quote=True)
                out.append(
                    f'<figure><img alt="{alt}" src="data:image/png;base64,{data}">'
                    f"<figcaption>{html.escape(block.caption)}</figcaption></figure>"
                )
    out.append("</body></html>")
    return "\n".join(out) + "\n"

