"""Two reading systems at phone width, emulated in Chromium: what each injects into a chapter, and
measures of what a reader then sees (test_epub_css.py).

- Foliate 2.6 (epub.js, paginated): columns on <html> as epub.js's `Contents.columns` sets them (the
  page's width, a gap of width/12 rounded down to even, half of it as padding each side, 20 px above
  and below), and the style sheet of Foliate's `setStyle` with its defaults (epub-viewer.js and
  the gschema: justified, hyphenated, 16 px, line height 1.5, its own sans-serif face except on code),
  and the limits epub.js's `adjustImages` sets on pictures (the column's width, 95% of its height).
  WebKitGTK draws overlay scrollbars, which take no room and show only while scrolling: Chromium
  draws them so with `--enable-features=OverlayScrollbar`.
- calibre 6.13's viewer (read_book/paged_mode.pyj, `layout`): columns on <body>, as wide as the
  frame, the gap the sum of the side margins (20 px each, so the frame is the window less 40 px),
  `overflow-wrap: break-word` on the body, the base font size on <html>, and `fit_images`'s limits
  (a picture ends at its column's edge and is at most a column high).

Each `open_as` returns the columns' geometry: column k spans [left + k * (width + gap), ... + width].
"""

from __future__ import annotations

from pathlib import Path

WINDOW = {"width": 450, "height": 800}

FOLIATE_CSS = (
    ".__foliate_custom-font { font-size: 16px !important; line-height: 1.5 !important; -webkit-hyphens: auto;"
    " hyphens: auto; color: #000; background: #fff; font-family: 'DejaVu Sans' !important }"
    " .__foliate_custom-font p { font-size: 16px !important; line-height: 1.5 !important }"
    " .__foliate_custom-font code, .__foliate_custom-font pre { -webkit-hyphens: none }"
    " .__foliate_custom-font a:link { color: #0066cc }"
    " p { text-align: justify }"
    " .__foliate_custom-font *:not(code):not(pre):not(code *):not(pre *) { font-family: 'DejaVu Sans' !important }"
)
FOLIATE_COLUMNS = """([width, height]) => {
    const html = document.documentElement;
    const meta = document.createElementNS('http://www.w3.org/1999/xhtml', 'meta');
    meta.setAttribute('name', 'viewport');
    meta.setAttribute('content', 'width=' + width + ', height=' + height + ', initial-scale=1.0, user-scalable=no');
    document.head.appendChild(meta);
    const section = Math.floor(width / 12), gap = section % 2 === 0 ? section : section - 1;
    Object.assign(html.style, {width: width + 'px', height: height + 'px', boxSizing: 'border-box',
        padding: '20px ' + gap / 2 + 'px', margin: '0', overflowY: 'hidden', maxWidth: 'inherit',
        columnWidth: width + 'px', columnGap: gap + 'px', columnFill: 'auto'});
    document.body.classList.add('__foliate_custom-font');
    const fit = document.createElementNS('http://www.w3.org/1999/xhtml', 'style');
    fit.textContent = 'img { max-width: ' + (width - gap) + 'px !important; max-height: ' + (height - 40) * 0.95
        + 'px !important; object-fit: contain; break-inside: avoid; box-sizing: border-box }';
    document.head.appendChild(fit);
    return {left: gap / 2, width: width - gap, gap: gap, bottom: height - 20};
}"""

CALIBRE_COLUMNS = """([width, height]) => {
    const body = document.body, gap = 40;
    document.documentElement.style.fontSize = '16px';
    Object.assign(body.style, {columnGap: gap + 'px', columnWidth: width + 'px', minWidth: '0', maxWidth: 'none',
        minHeight: '0', maxHeight: '100vh', columnFill: 'auto', margin: '0', borderWidth: '0', padding: '0',
        boxSizing: 'content-box', width: width + 'px', height: height + 'px', overflowWrap: 'break-word'});
    for (const img of document.images) {
        const start = (img.getBoundingClientRect().left + window.scrollX) % (width + gap);
        Object.assign(img.style, {maxWidth: width - start + 'px', maxHeight: height + 'px'});
    }
    return {left: 0, width: width, gap: gap, bottom: height};
}"""

# The window each lays out in: Foliate's page is the window; calibre's frame is the window less its margins.
READERS = {
    "Foliate": {"viewport": WINDOW, "css": FOLIATE_CSS, "columns": FOLIATE_COLUMNS},
    "calibre": {"viewport": {"width": WINDOW["width"] - 40, "height": WINDOW["height"] - 40}, "css": "",
                "columns": CALIBRE_COLUMNS},
}

# Engines that ignore `break-after: avoid` in columns (WebKit in Foliate, the Chromium 102 of calibre's viewer).
IGNORING_BREAK_AFTER = ("h1, h2, h3, h4, h5, h6, .box-title, figcaption, caption, thead, tr"
                        " { break-after: auto !important; page-break-after: auto !important }")
# An engine without `overflow-wrap: anywhere` (WebKit before 2.36): a word breaks only if it is alone on its line.
WITHOUT_ANYWHERE = "* { overflow-wrap: break-word !important; word-wrap: break-word !important }"

ADD_STYLE = ("css => { const s = document.createElementNS('http://www.w3.org/1999/xhtml', 'style');"
             " s.textContent = css; document.head.appendChild(s); }")


def open_as(page, document: Path, reader: str, height: int | None = None, extra_css: str = "") -> dict:
    """`document` in `page` as `reader` lays it out; the columns' geometry."""
    setup = READERS[reader]
    page.set_viewport_size(setup["viewport"])
    page.goto(document.as_uri())
    page.evaluate(ADD_STYLE, setup["css"] + extra_css)
    size = setup["viewport"]
    columns = page.evaluate(setup["columns"], [size["width"], height or size["height"]])
    page.evaluate("() => document.fonts.ready")
    return columns


# Each line of each code span in a table cell, as the reader sets it (one range per character, grouped by line).
CODE_LINES_IN_TABLES = """() => [...document.querySelectorAll('td code, th code')].map(code => {
    const lines = [];
    let top = null;
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.data.length; i++) {
            const range = document.createRange();
            range.setStart(node, i); range.setEnd(node, i + 1);
            const rect = [...range.getClientRects()].find(r => r.width > 0);
            if (!rect) continue;
            if (top === null || Math.abs(rect.top - top) > 2) { lines.push(''); top = rect.top; }
            lines[lines.length - 1] += node.data[i];
        }
    }
    return lines;
})"""

# Each table, and whether a reader sees every row whole: each in its column (a long table continues in
# the next), or in a box that scrolls sideways, shows a scrollbar, takes the keyboard's focus and has a name.
TABLES_REACHED = """columns => [...document.querySelectorAll('table')].map(table => {
    const step = columns.width + columns.gap;
    const name = (table.querySelector('th') || table).textContent.trim();
    const outside = [...table.rows].map(row => row.getBoundingClientRect()).filter(box => {
        const right = columns.left + Math.floor((box.left - columns.left + 1) / step) * step + columns.width;
        return box.right > right + 1 || box.bottom > columns.bottom + 1;
    });
    if (!outside.length) return [name, 'visible'];
    const wrap = table.parentElement, style = getComputedStyle(wrap);
    const scrolls = ['auto', 'scroll'].includes(style.overflowX) && wrap.scrollWidth > wrap.clientWidth + 1;
    const lower = outside.filter(box => box.bottom > columns.bottom + 1).length;
    if (!scrolls) return [name, lower ? lower + ' rows past the foot of the column' : 'cut off past its column'];
    const box = wrap.getBoundingClientRect();
    const right = columns.left + Math.floor((box.left - columns.left + 1) / step) * step + columns.width;
    const bar = wrap.offsetHeight - wrap.clientHeight - parseFloat(style.borderTopWidth) - parseFloat(style.borderBottomWidth);
    const named = wrap.hasAttribute('aria-label') || wrap.hasAttribute('aria-labelledby');
    if (box.right > right + 1 || box.bottom > columns.bottom + 1) return [name, 'its scrolling box is past its column'];
    if (bar < 4) return [name, 'scrolls with no visible scrollbar'];
    if (wrap.tabIndex < 0 || !named) return [name, 'scrolls, but not by keyboard or without a name'];
    wrap.scrollLeft = wrap.scrollWidth;
    const shown = table.getBoundingClientRect().right <= box.right + 1;
    wrap.scrollLeft = 0;
    return [name, shown ? 'scrolls into view' : 'cut off even scrolled'];
})"""

# Each space of each text node under `root` (or just the code's), with its width and its line's top.
_SPACES = """(root, onlyCode) => {
    const found = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const code = node.parentElement.closest('code');
        if (onlyCode && !code) continue;
        for (let i = 0; i < node.data.length; i++) {
            if (node.data[i] !== ' ') continue;
            const range = document.createRange();
            range.setStart(node, i); range.setEnd(node, i + 1);
            const rect = [...range.getClientRects()].find(r => r.width > 0);
            if (rect) found.push({top: rect.top, left: rect.left, width: rect.width, code: code});
        }
    }
    return found;
}"""

# The widest space on the justified lines (all but the last) of each paragraph that shows a web address,
# in ems of the paragraph's face.
ADDRESS_LINE_GAPS = """() => {
    const spaces = """ + _SPACES + """;
    return [...document.querySelectorAll('p')]
        .filter(p => [...p.querySelectorAll('a')].some(a => /^(https?:\\/\\/|www\\.)/.test(a.textContent.trim())))
        .map(p => {
            const found = spaces(p, false), size = parseFloat(getComputedStyle(p).fontSize);
            const last = Math.max(...found.map(s => s.top));
            const justified = found.filter(s => s.top < last - 2);
            return [p.textContent.trim().slice(0, 40), Math.max(0, ...justified.map(s => s.width / size))];
        });
}"""

# Each space inside inline code on a justified line, as a multiple of the width of the code's letters
# (monospace: 1 unless justification widened it).
CODE_SPACES = """() => {
    const spaces = """ + _SPACES + """;
    const found = [];
    for (const p of document.querySelectorAll('p')) {
        const all = spaces(p, false), last = Math.max(...all.map(s => s.top));
        for (const s of spaces(p, true)) {
            if (s.top >= last - 2) continue;
            const range = document.createRange(), text = s.code.firstChild;
            range.setStart(text, 0); range.setEnd(text, 1);
            found.push([s.code.textContent, s.width / range.getBoundingClientRect().width]);
        }
    }
    return found;
}"""

# What ends a column while what belongs with it starts the next: a heading and the block after it,
# a caption above its code or table and what it captions, a table's head and its first row, a
# figure's picture and its caption.
LEFT_BEHIND = """columns => {
    const step = columns.width + columns.gap;
    const column = rect => Math.floor((rect.left - columns.left + 1) / step);
    const pairs = [];
    for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6'))
        if (h.nextElementSibling) pairs.push([h, h.nextElementSibling]);
    for (const c of document.querySelectorAll('figcaption'))
        if (c.nextElementSibling) pairs.push([c, c.nextElementSibling]);
        else if (c.previousElementSibling) pairs.push([c.previousElementSibling, c]);
    for (const t of document.querySelectorAll('table')) {  // cells: a row section's box may start in a column it left
        const head = t.tHead && t.tHead.rows.length ? t.tHead.rows[0].cells[0] : null;
        const first = t.tBodies.length && t.tBodies[0].rows.length ? t.tBodies[0].rows[0].cells[0] : null;
        if (t.caption) pairs.push([t.caption, head || first]);
        if (head && first) pairs.push([head, first]);
    }
    const found = [];
    for (const [before, after] of pairs) {
        if (!after) continue;
        const a = before.getClientRects(), b = after.getClientRects();
        if (!a.length || !b.length) continue;
        if (column(b[0]) > column(a[a.length - 1]) || a.length > 1)
            found.push(before.tagName.toLowerCase() + ' "' + before.textContent.trim().slice(0, 30) + '" / '
                       + after.tagName.toLowerCase());
    }
    return found;
}"""
