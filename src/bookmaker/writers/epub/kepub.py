"""Kobo's flavour of EPUB (`.kepub.epub`): the markup Kobo's reader needs for its
own renderer, added to finished XHTML documents as kepubify adds it.

- the body's content wrapped in `div#book-columns > div#book-inner`;
- every sentence wrapped in `<span class="koboSpan" id="kobo.P.S">`, P counting
  paragraphs and S sentences within one (Kobo keeps highlights, bookmarks and
  reading statistics by these ids); an image gets a span of its own;
- a small style block that undoes margins the wrappers would add.
"""

from __future__ import annotations

import re

from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"
_X = f"{{{XHTML_NS}}}"
# A sentence runs to a full stop, question or exclamation mark or colon, with a
# closing quote and the spaces after it; what remains after the last one is a
# sentence too, so no text is ever left out.
_SENTENCE = re.compile(r".*?[.!?:]['\"”’“…]?\s*", re.S)
_KEEP_AS_IS = {"script", "style", "pre", "audio", "video", "math"}  # math: MathML has no XHTML spans
_PARAGRAPHS = {"p", "ol", "ul", "table"}
KOBO_STYLE = "div#book-inner { margin-top: 0; margin-bottom: 0; }"


def koboize(root: etree._Element) -> None:
    """Add Kobo's wrappers, spans and style to one XHTML document, in place."""
    head = root.find(f"{_X}head")
    body = root.find(f"{_X}body")
    if head is None or body is None or body.find(f".//{_X}span[@class='koboSpan']") is not None:
        return
    style = etree.SubElement(head, f"{_X}style", {"type": "text/css", "class": "kobostylehacks"})
    style.text = KOBO_STYLE
    _Spans().element(body)
    _wrap_body(body)


def _wrap_body(body: etree._Element) -> None:
    columns = etree.Element(f"{_X}div", {"id": "book-columns"})
    inner = etree.SubElement(columns, f"{_X}div", {"id": "book-inner"})
    inner.text, body.text = body.text, None
    for child in list(body):
        inner.append(child)
    body.append(columns)


class _Spans:
    def __init__(self) -> None:
        self.paragraph = 0
        self.segment = 0
        self.next_paragraph = False

    def _span(self) -> etree._Element:
        return etree.Element(f"{_X}span", {"class": "koboSpan", "id": f"kobo.{self.paragraph}.{self.segment}"})

    def element(self, el: etree._Element) -> None:
        """Depth first, in document order: the element's text, then each child and its tail."""
        name = etree.QName(el).localname
        if name in _PARAGRAPHS:
            self.next_paragraph = True
        children = list(el)  # before spans are added among them
        if el.text:
            text, el.text = el.text, None
            self._place(self._sentences(text, name == "p"), el, None)
        for child in children:
            if isinstance(child.tag, str):
                child_name = etree.QName(child).localname
                if child_name == "img":
                    child = self._image(child)
                elif child_name not in _KEEP_AS_IS:
                    self.element(child)
            if child.tail:
                text, child.tail = child.tail, None
                self._place(self._sentences(text, name == "p"), el, child)

    def _image(self, img: etree._Element) -> etree._Element:
        self.paragraph += 1
        self.segment = 1
        self.next_paragraph = False
        span = self._span()
        span.tail, img.tail = img.tail, None
        img.getparent().replace(img, span)
        span.append(img)
        return span

    def _sentences(self, text: str, in_p: bool) -> list[str | etree._Element]:
        pieces: list[str | etree._Element] = []
        end = 0
        sentences = []
        for match in _SENTENCE.finditer(text):
            if match.end() > match.start():
                sentences.append(match.group())
                end = match.end()
        if end < len(text):
            sentences.append(text[end:])
        for sentence in sentences:
            # Spaces between elements stay plain text, except directly in a paragraph.
            if not sentence.strip() and not in_p:
                pieces.append(sentence)
                continue
            if self.next_paragraph:
                self.paragraph += 1
                self.segment = 0
                self.next_paragraph = False
            self.segment += 1
            span = self._span()
            span.text = sentence
            pieces.append(span)
        return pieces

    @staticmethod
    def _place(pieces: list[str | etree._Element], parent: etree._Element, after: etree._Element | None) -> None:
        """Put pieces of text where the text was: at the start of parent, or after a child."""
        index = 0 if after is None else parent.index(after) + 1
        previous = after
        for piece in pieces:
            if isinstance(piece, str):
                if previous is None:
                    parent.text = (parent.text or "") + piece
                else:
                    previous.tail = (previous.tail or "") + piece
            else:
                parent.insert(index, piece)
                index += 1
                previous = piece
