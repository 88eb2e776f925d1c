"""Run a script in each page with the Qt WebEngine that calibre's viewer uses (the
system's PyQt6, which Debian's calibre depends on), and print the results as JSON.

    python3 tests/qt_engine.py SCRIPT.js PAGE.xhtml...

SCRIPT.js is an expression whose value is JSON text. Run by the system's python3,
not by the tests' virtual environment, which has no PyQt6.
"""

import json
import os
import sys

from PyQt6.QtCore import QTimer, QUrl
from PyQt6.QtWebEngineWidgets import QWebEngineView
from PyQt6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
view = QWebEngineView()
# QT_ENGINE_SIZE=410x760: the frame of calibre's viewer in a 450 x 800 window (its margins are 20 px).
width, height = map(int, os.environ.get("QT_ENGINE_SIZE", "1200x1000").split("x"))
view.resize(width, height)
script = open(sys.argv[1], encoding="utf-8").read()
pages = list(sys.argv[2:])
results = {}


def next_page() -> None:
    if not pages:
        print(json.dumps({"engine": engine, "results": results}))
        app.quit()
        return
    view.load(QUrl.fromLocalFile(pages[0]))


def loaded(ok: bool) -> None:
    page = pages.pop(0)
    if not ok:
        results[page] = None
        next_page()
        return

    def done(value) -> None:
        results[page] = json.loads(value) if isinstance(value, str) else value
        next_page()

    # The embedded fonts load after the load event.
    QTimer.singleShot(500, lambda: view.page().runJavaScript(script, done))


engine = ""


def user_agent(value) -> None:
    global engine
    engine = value


view.loadFinished.connect(loaded)
view.page().runJavaScript("navigator.userAgent", user_agent)
QTimer.singleShot(120_000, lambda: (print(json.dumps({"error": "timed out"})), app.quit()))
next_page()
app.exec()
