"""HTML renderer: one self-contained page (figures embedded as PNG with alt text), read by people and by
the PDF renderer."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import jinja2

from .model import Report

__all__ = ["render_html", "write_html"]

_TEMPLATE = jinja2.Template("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ r.title }}</title>
<meta name="author" content="{{ r.program }}"><meta name="description" content="{{ r.subtitle }}">
<style>
 body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 10.5pt; line-height: 1.4;
        max-width: 46em; margin: 2em auto; color: #222; }
 h1 { font-size: 18pt; margin-bottom: 0.2em; } h2 { font-size: 13pt; border-bottom: 1px solid #0072B2;
 color: #0072B2; margin-top: 1.6em; } .subtitle { color: #555; margin-top: 0; }
 table { border-collapse: collapse; margin: 0.6em 0 0.2em 0; font-size: 9pt; }
 th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
 th { background: #E8F1F8; } .caption { font-size: 8.5pt; color: #555; margin: 0.1em 0 1em 0; }
 figure { margin: 1em 0; } figure img { width: 7in; max-width: 100%; }  /* printed at its drawn size */
 figcaption { font-size: 8.5pt; color: #555; }
 .notes { font-size: 8.5pt; color: #555; } .logo { max-height: 60px; float: right; }
 @page { size: letter; margin: 2.2cm 1.8cm 2cm 1.8cm;
   @top-left { content: "{{ running }}"; font-family: "DejaVu Sans", sans-serif; font-size: 8pt; color: #555; }
   @bottom-right { content: "Page " counter(page) " of " counter(pages); font-family: "DejaVu Sans", sans-serif;
                   font-size: 8pt; color: #555; } }
 h1, h2, h3 { break-after: avoid; } tr, figure, li { break-inside: avoid; }
 thead { display: table-header-group; } .caption { break-before: avoid; }
</style></head><body>
{% if logo %}<img class="logo" src="data:image/png;base64,{{ logo }}" alt="{{ r.program }} logo">{% endif %}
<h1>{{ r.title }}</h1><p class="subtitle">{{ r.subtitle }}</p>
{% for section in sections %}<section><h2>{{ section.title }}</h2>
{{ section.body }}
{% for t in section.tables %}{{ t.html }}<p class="caption">Table: {{ t.caption }}</p>{% endfor %}
{% for f in section.figures %}<figure><img src="data:image/png;base64,{{ f.png }}" alt="{{ f.alt }}">
<figcaption>Figure: {{ f.caption }}</figcaption></figure>{% endfor %}
{% if section.notes %}<div class="notes"><p>Notes:</p><ul>
{%- for n in section.notes %}<li>{{ n }}</li>{% endfor %}</ul></div>{% endif %}
</section>{% endfor %}
</body></html>
""", autoescape=True)


def _paragraphs(text: tuple[str, ...]) -> str:
    """Plain sentences as paragraphs; paragraphs that start with "- " as one bulleted list."""
    out, bullets = [], []
    for paragraph in text:
        if paragraph.startswith("- "):
            bullets.append(f"<li>{html.escape(paragraph[2:])}</li>")
            continue
        if bullets:
            out.append("<ul>" + "".join(bullets) + "</ul>")
            bullets = []
        out.append(f"<p>{html.escape(paragraph)}</p>")
    if bullets:
        out.append("<ul>" + "".join(bullets) + "</ul>")
    return "\n".join(out)


def render_html(report: Report) -> str:
    """The report as one HTML page with its figures embedded."""
    sections = []
    for section in report.sections:
        sections.append({
            "title": section.title,
            "body": jinja2.utils.markupsafe.Markup(_paragraphs(section.text)),
            "tables": [{"caption": t.caption, "html": jinja2.utils.markupsafe.Markup(
                t.frame.to_html(index=False, border=0, escape=True, na_rep=""))} for t in section.tables],
            "figures": [{"caption": f.caption, "alt": f.alt, "png": base64.b64encode(f.png()).decode("ascii")}
                        for f in section.figures],
            "notes": section.notes,
        })
    logo = base64.b64encode(Path(report.logo).read_bytes()).decode("ascii") if report.logo else None
    running = " \u00b7 ".join(x for x in (report.program, f"Quarterly report {report.quarter}") if x)
    return _TEMPLATE.render(r=report, sections=sections, logo=logo, running=running.replace('"', "'"))


def write_html(report: Report, path: Path) -> Path:
    path.write_text(render_html(report), encoding="utf-8")
    return path
