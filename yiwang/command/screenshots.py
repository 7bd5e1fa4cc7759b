"""Screenshots of the command screen from a running server (e.g. the demo), for the docs.

    uv run python -m yiwang.command.screenshots --url http://127.0.0.1:8000 --username <demo street login> \
        --password <its password> [--region <code>] [--out docs/img]

Writes command-desk.png (1440 px wide, whole page) and command-wall.png (1920×1080, wall=1)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--region", default="")
    parser.add_argument("--out", default="docs/img")
    parser.add_argument("--chromium", default=os.environ.get("YIWANG_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    query = f"region={args.region}&" if args.region else ""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"], headless=True)
        page = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN").new_page()
        page.goto(f"{args.url}/login/")
        page.fill("input[name=username]", args.username)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        for name, size, extra in (("command-desk.png", {"width": 1440, "height": 1000}, ""), ("command-wall.png", {"width": 1920, "height": 1080}, "wall=1")):
            page.set_viewport_size(size)
            page.goto(f"{args.url}/command/?{query}{extra}")
            page.wait_for_selector("path.cc-unit")
            page.wait_for_timeout(1500)  # the feed, case points and heat load after the page
            page.screenshot(path=str(out / name), full_page=name == "command-desk.png")
            print(out / name)
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
