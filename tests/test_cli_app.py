"""`kintsugi app` (serve on a free port, open the browser, desktop entry) and the CLI's usage
errors: a missing input, --originals/--masks naming the input folder, no empty output folder."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from synthetic import art, save

from kintsugi import cli, server
from kintsugi.server import launch


def _run(*argv: str | Path) -> int:
    return cli.main([str(a) for a in argv])


def test_a_missing_input_is_a_usage_error(tmp_path, capsys):
    assert _run("inpaint", tmp_path / "nothere", "-o", tmp_path / "out") == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert _run("detect", tmp_path / "nothere", "-o", tmp_path / "out") == 2
    assert not (tmp_path / "out").exists()


def test_masks_or_originals_in_the_input_folder_is_one_usage_error(tmp_path, capsys):
    folder = tmp_path / "in"
    for i in range(3):
        save(folder / f"p{i}.png", art(32, 32, seed=i))
    for flag in ("--masks", "--originals"):
        assert _run("inpaint", folder, flag, folder, "-o", tmp_path / "out") == 2
        err = capsys.readouterr().err
        assert err.count("error") == 1 and f"{flag} {folder} is the input folder" in err
    assert not (tmp_path / "out").exists()


def test_no_empty_output_folder_is_left_behind(tmp_path, capsys):
    save(tmp_path / "in" / "plain.png", art(32, 32))  # no green paint: nothing to repair
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 1
    assert not (tmp_path / "out").exists()
    # A folder that was there before is the user's: kept, even empty.
    (tmp_path / "mine").mkdir()
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "mine") == 1
    assert (tmp_path / "mine").is_dir()


def test_app_opens_the_browser_at_the_served_address(monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(launch.webbrowser, "open", lambda url: opened.append(url) or True)

    def fake_run_cli(args, *, on_ready=None):
        assert args.port == 0 and args.host == "127.0.0.1"  # a free loopback port by default
        on_ready("http://127.0.0.1:5555/")
        return 0

    monkeypatch.setattr(server, "run_cli", fake_run_cli)
    assert _run("app") == 0
    assert opened == ["http://127.0.0.1:5555/"]


def test_app_serves_the_page_on_a_free_port():
    process = subprocess.Popen(
        [sys.executable, "-m", "kintsugi.cli", "app", "--no-browser"], stdout=subprocess.PIPE, text=True
    )
    try:
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", process.stdout.readline())
        assert match and int(match.group(1)) > 0
        with urllib.request.urlopen(match.group(0), timeout=30) as page:
            assert page.status == 200 and b"kintsugi" in page.read()
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_desktop_entry(tmp_path):
    path = launch.install_desktop_entry(command=["/opt/my app/kintsugi", "app"], data_home=tmp_path)
    assert path == tmp_path / "applications" / "kintsugi.desktop"
    text = path.read_text()
    assert 'Exec="/opt/my app/kintsugi" app\n' in text and "Type=Application" in text
    assert f"Icon={launch.ICON}\n" in text and launch.ICON.is_file()
    assert launch.desktop_entry(command=['a"$b']).count('Exec="a\\"\\$b"') == 1


def test_the_install_hint_names_the_distribution():
    assert server.INSTALL_HINT == "pip install 'kintsugi-repair[serve]'"
