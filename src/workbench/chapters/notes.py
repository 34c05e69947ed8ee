"""German sentences shown in place of views the data do not allow.

A chapter the availability rules call buildable (:func:`workbench.chapters.assess`) is built on whatever the
data allow: a view whose part (:data:`workbench.chapters.PARTS`) or indicator the data do not allow returns a
:class:`Note` instead of a figure, table or text. The note says what is missing and which raw file would enable
it, in the words of ``workbench check`` (the same :class:`workbench.chapters.Item`). ``ch.figure``,
``ch.table``, ``ch.text`` (:class:`workbench.chapters.context.Chapter`) and ``profile_figures.show`` display a
note as text, so the notebooks need no conditionals; an empty note displays nothing (a view that another view
of the same section already explains).
"""

from __future__ import annotations

from workbench.chapters import Item


class Note(str):
    """A German Markdown sentence in place of a view the data do not allow ("" = show nothing)."""


NOTHING = Note("")
"""The empty note: nothing is shown (the sentence stands elsewhere in the same section)."""


def markdown(text: str) -> str:
    """Plain text for Markdown: ``&``, ``<`` and ``>`` as entities (``einwohner_<Jahr>.csv`` is no HTML tag)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sentence(item: Item) -> str:
    """The plain German sentence (for HTML, which escapes it itself) why ``item`` is left out ("" when it is
    not): "Ohne <part>: <reason>." for a chapter part, "Indikator „<label>“ nicht berechenbar: <reason>." for
    an indicator — the words of ``workbench check`` and of the chapter „Datenqualität und Methoden“."""
    if item.ok:
        return ""
    if item.kind == "indicator":
        return f"Indikator „{item.label}“ nicht berechenbar: {item.reason}."
    return f"Ohne {item.label}: {item.reason}."


def left_out_note(item: Item) -> Note:
    """:func:`sentence` as a :class:`Note` (Markdown; empty when ``item`` is not left out)."""
    return Note(markdown(sentence(item)))


def hint_note(item: Item) -> Note:
    """The remark "Hinweis zu <part>: <note>." on a part built with less than the full data (empty without
    a note), as a :class:`Note`."""
    if not item.ok or not item.note:
        return NOTHING
    return Note(markdown(f"Hinweis zu {item.label}: {item.note}."))


__all__ = ["NOTHING", "Note", "hint_note", "left_out_note", "markdown", "sentence"]
