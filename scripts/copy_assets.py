"""Copy the pinned npm front-end libraries into var/vendor, where Django's staticfiles finds them.

Government intranets have no CDN, so every page loads these local copies.
"""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "var" / "vendor" / "vendor"

# (package, path inside the package, destination under vendor/)
ASSETS = [
    ("leaflet", "dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet", "dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet", "dist/images", "leaflet/images"),
    ("leaflet.markercluster", "dist/leaflet.markercluster.js", "leaflet.markercluster/leaflet.markercluster.js"),
    ("leaflet.markercluster", "dist/MarkerCluster.css", "leaflet.markercluster/MarkerCluster.css"),
    ("leaflet.markercluster", "dist/MarkerCluster.Default.css", "leaflet.markercluster/MarkerCluster.Default.css"),
    ("leaflet.heat", "dist/leaflet-heat.js", "leaflet.heat/leaflet-heat.js"),
    ("echarts", "dist/echarts.min.js", "echarts/echarts.min.js"),
    ("htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js"),
    ("pdfjs-dist", "build/pdf.min.mjs", "pdfjs/pdf.min.mjs"),
    ("pdfjs-dist", "build/pdf.worker.min.mjs", "pdfjs/pdf.worker.min.mjs"),
]

# Files the server reads but never serves: var/fonts. The weekly report's PDF font, Noto Sans SC
# (SIL Open Font License 1.1; its licence text is copied beside it), so no system CJK font is needed.
FONTS = ROOT / "var" / "fonts"
SERVER_FILES = [
    ("@expo-google-fonts/noto-sans-sc", "400Regular/NotoSansSC_400Regular.ttf", "NotoSansSC-Regular.ttf"),
    ("@expo-google-fonts/noto-sans-sc", "LICENSE_FONT", "NotoSansSC-OFL.txt"),
]


def main() -> int:
    missing = [f"{pkg}/{src}" for pkg, src, _ in ASSETS + SERVER_FILES if not (NODE / pkg / src).exists()]
    if missing:
        print("missing npm assets (run `npm ci` first): " + ", ".join(missing), file=sys.stderr)
        return 1
    for pkg, src, dest in SERVER_FILES:
        FONTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(NODE / pkg / src, FONTS / dest)
    for pkg, src, dest in ASSETS:
        source, target = NODE / pkg / src, VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    print(f"copied {len(ASSETS)} assets into {VENDOR} and {len(SERVER_FILES)} files into {FONTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
