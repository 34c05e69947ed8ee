"""The page exporter renders what nbconvert's HTMLExporter renders, without parsing the page a second time."""

from __future__ import annotations

import base64

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from workbench.build import pages
from workbench.build._export import MISSING_ALT, finish_page
from workbench.build._jobs import export_html, make_exporter

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()


def _notebook() -> nbformat.NotebookNode:
    """Markdown, an HTML table, a figure with and one without alt text, a PNG output, text and an error-free
    stream: every output kind a chapter or profile publishes."""
    md = nbformat.v4.new_markdown_cell("## Überschrift\n\nText mit **Fettdruck** und <br> Umbruch & Zeichen.")
    html = nbformat.v4.new_code_cell("t")
    html.outputs = [
        nbformat.v4.new_output(
            "display_data",
            {"text/html": '<table class="wb"><tr><th scope="col">A</th></tr><tr><td>1,5</td></tr></table>'},
        )
    ]
    figs = nbformat.v4.new_code_cell("f")
    figs.outputs = [
        nbformat.v4.new_output(
            "display_data", {"text/html": '<figure><img src="x.png" alt="Karte"></figure>'}
        ),
        nbformat.v4.new_output("display_data", {"text/html": '<p><img src="y.png"/></p>'}),
        nbformat.v4.new_output("display_data", {"image/png": PNG, "text/plain": "<Figure>"}),
        nbformat.v4.new_output("stream", name="stdout", text="Hinweis\n"),
    ]
    nb = nbformat.v4.new_notebook(cells=[md, html, figs])
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return nb


def _nbconvert_exporter() -> HTMLExporter:
    exporter = HTMLExporter(
        template_name=pages.TEMPLATE_NAME,
        extra_template_basedirs=[str(pages.TEMPLATE_DIR)],
        language_code=pages.LANGUAGE,
    )
    exporter.exclude_input = exporter.exclude_input_prompt = exporter.exclude_output_prompt = True
    return exporter


def test_page_parses_to_the_document_nbconvert_writes() -> None:
    nb = _notebook()
    ours = export_html(nb, "Profil", make_exporter())
    theirs = export_html(nb, "Profil", _nbconvert_exporter())
    assert ours != theirs  # nbconvert's page is re-serialised by BeautifulSoup, ours is the template's string
    assert str(BeautifulSoup(ours, "html.parser")) == theirs
    soup = BeautifulSoup(ours, "html.parser")
    outputs = soup.select("div.jp-OutputArea-output")
    assert len(outputs) == 5 and all(o.get("tabindex") == "0" for o in outputs)
    assert [img.get("alt") for img in soup.select("img")] == ["Karte", MISSING_ALT, MISSING_ALT]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ('<div class="jp-OutputArea-output x">', '<div class="jp-OutputArea-output x" tabindex="0">'),
        (
            '<div id="a" class="jp-Cell-inputWrapper">',
            '<div id="a" class="jp-Cell-inputWrapper" tabindex="0">',
        ),
        (
            '<div class="jp-OutputArea-output" tabindex="-1">',
            '<div class="jp-OutputArea-output" tabindex="-1">',
        ),
        (
            '<div class="jp-OutputArea-outputs">',
            '<div class="jp-OutputArea-outputs">',
        ),  # whole class names only
        ('<img src="a.png">', f'<img src="a.png" alt="{MISSING_ALT}">'),
        ('<img src="a.png" />', f'<img src="a.png" alt="{MISSING_ALT}"/>'),
        ('<img ALT="" src="a.png">', '<img ALT="" src="a.png">'),  # an empty alt is a decision, kept
        ('<IMG src="a.png">', f'<IMG src="a.png" alt="{MISSING_ALT}">'),
        ('<img alt src="a.png">', '<img alt src="a.png">'),
        (
            '<img src="a.png" title="no alt=here">',
            f'<img src="a.png" title="no alt=here" alt="{MISSING_ALT}">',
        ),
        (
            '<div class="jp-OutputArea-output" data-x="a>b">',
            '<div class="jp-OutputArea-output" data-x="a>b" tabindex="0">',
        ),
        ("<div class='jp-OutputArea-output'>", "<div class='jp-OutputArea-output' tabindex=\"0\">"),
        (
            '<div data-class="x" class="jp-OutputArea-output">',
            '<div data-class="x" class="jp-OutputArea-output" tabindex="0">',
        ),
        ('<div data-class="jp-OutputArea-output">', '<div data-class="jp-OutputArea-output">'),
        ("<script>var s = \"<img src='a'>\";</script>", "<script>var s = \"<img src='a'>\";</script>"),
        ("<!-- <img src='a'> -->", "<!-- <img src='a'> -->"),
    ],
)
def test_finish_page(page: str, expected: str) -> None:
    assert finish_page(page) == expected
