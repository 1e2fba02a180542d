"""Render resources/icon.svg to the icon files each platform wants (PNG, ICO, ICNS)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "installer" / "build" / "icons"


def main() -> int:
    if QGuiApplication.instance() is None:
        main.application = QGuiApplication(sys.argv)  # kept alive while rendering
    OUT.mkdir(parents=True, exist_ok=True)
    renderer = QSvgRenderer(str(ROOT / "resources" / "icon.svg"))
    image = QImage(1024, 1024, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    big = OUT / "aliquot-1024.png"
    image.save(str(big))
    picture = Image.open(big)
    picture.resize((256, 256), Image.LANCZOS).save(OUT / "aliquot.png")
    picture.save(OUT / "aliquot.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    picture.save(OUT / "aliquot.icns")
    print(f"icons in {OUT.relative_to(ROOT)}: aliquot.png, aliquot.ico, aliquot.icns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
