"""`kintsugi app`: the page in one click. Serves on a free loopback port and opens the default
browser there; ``--install-desktop`` writes a desktop entry (Linux menus) that runs it.

The bundle that scripts/build_app.sh builds starts here too (scripts/app_entry.py), so a
double-click on it is the same as `kintsugi app`.
"""

from __future__ import annotations

import argparse
import os
import sys
import webbrowser
from pathlib import Path

from kintsugi import server

DESKTOP_FILE = "kintsugi.desktop"
ICON = Path(__file__).with_name("static") / "favicon.svg"  # inside the bundle too


def configure_cli(parser: argparse.ArgumentParser) -> None:
    server.configure_cli(parser)
    # A fixed port can be taken (another app, a second start); any free one always works.
    parser.set_defaults(port=0)
    parser.add_argument("--no-browser", action="store_true", help="only serve; print the address to open")
    parser.add_argument(
        "--install-desktop",
        action="store_true",
        help=f"write a menu entry ({DESKTOP_FILE} under ~/.local/share/applications) that starts the app, and exit",
    )


def run_cli(args: argparse.Namespace) -> int:
    if args.install_desktop:
        try:
            path = install_desktop_entry(command=launch_command())
        except OSError as exc:
            print(f"kintsugi: error: cannot write the desktop entry: {exc}", file=sys.stderr)
            return 2
        print(f"kintsugi: wrote {path}")
        return 0
    on_ready = None if args.no_browser else open_browser
    return server.run_cli(args, on_ready=on_ready)


def open_browser(url: str) -> None:
    if not webbrowser.open(url):
        print(f"kintsugi: no browser could be started here; open {url}", file=sys.stderr, flush=True)


def launch_command() -> list[str]:
    """How to start the app again from a menu: the bundle's own executable when frozen, else
    this Python running the CLI (works in a venv without the `kintsugi` script on PATH)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "kintsugi.cli", "app"]


def desktop_entry(*, command: list[str]) -> str:
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=kintsugi",
            "Comment=Repair green-painted or censored regions of anime and manga images",
            f"Exec={' '.join(_exec_quote(arg) for arg in command)}",
            f"Icon={ICON}",
            "Terminal=false",
            "Categories=Graphics;",
            "",
        ]
    )


def _exec_quote(arg: str) -> str:
    # The Desktop Entry spec's quoting (double quotes; \ " ` $ escaped), not a shell's.
    if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
        return arg
    return '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'


def install_desktop_entry(*, command: list[str], data_home: Path | None = None) -> Path:
    """Write the desktop entry under ``$XDG_DATA_HOME/applications`` (default ~/.local/share)."""
    base = data_home or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    path = base / "applications" / DESKTOP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(desktop_entry(command=command), encoding="utf-8")
    return path
