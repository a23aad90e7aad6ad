"""Command line: parse, call batch/engine, print, choose the exit code. Nothing else.

Subcommands live in COMMANDS; a new one (``detect``, ``serve``) is one ``add_command`` call.

Exit codes: 0 all good; 1 some file failed (or nothing to do); 2 usage or setup error
(unknown method, unwritable output folder, no input); 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from kintsugi import __version__, argtypes, batch, io, methods
from kintsugi.errors import KintsugiError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# DeepCreamPy's folder conventions, used when `kintsugi inpaint` gets no paths.
DEFAULT_INPUT = Path("decensor_input")
DEFAULT_ORIGINALS = Path("decensor_input_original")
DEFAULT_OUTPUT = Path("decensor_output")


@dataclass(frozen=True)
class Command:
    help: str
    configure: Callable[[argparse.ArgumentParser], None]  # adds the subcommand's arguments
    run: Callable[[argparse.Namespace], int]  # returns the exit code


def add_command(
    name: str,
    *,
    help: str,
    configure: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], int],
) -> None:
    """Register a subcommand (the hook for `kintsugi detect`, `kintsugi serve`, ...)."""
    COMMANDS[name] = Command(help=help, configure=configure, run=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kintsugi",
        description="Repair green-painted regions and mosaics in anime, manga and illustration images.",
    )
    parser.add_argument("--version", action="version", version=f"kintsugi {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        command.configure(sub.add_parser(name, help=command.help, description=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return COMMANDS[args.command].run(args)
    except KeyboardInterrupt:
        print("kintsugi: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


# ---------------------------------------------------------------------------------------------
# kintsugi inpaint


def configure_inpaint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="IN",
        help=f"images and/or folders (default: {DEFAULT_INPUT}/, DeepCreamPy style)",
    )
    parser.add_argument("-o", "--output", metavar="OUT", help=f"output folder (default: {DEFAULT_OUTPUT}/)")
    parser.add_argument(
        "--originals",
        metavar="DIR",
        help="mosaic mode: the un-painted originals, same base name, any extension",
    )
    parser.add_argument("--masks", metavar="DIR", help="mask files (white = hole) with the same base name")
    parser.add_argument(
        "--auto",
        action="store_true",
        help="find censors automatically (mosaics; bars with --kinds) and repair each kind its own way",
    )
    _add_kinds(parser)
    parser.add_argument("--method", metavar="NAME", help="filling method (see `kintsugi methods`)")
    parser.add_argument("-r", "--recursive", action="store_true", help="also read sub-folders")
    parser.add_argument("--overwrite", action="store_true", help="redo outputs that already exist")
    parser.add_argument(
        "--max-pixels",
        type=argtypes.non_negative_int,
        metavar="N",
        help="refuse images with more pixels (default: %(default)s; 0 = no limit)",
    )
    parser.set_defaults(max_pixels=io.DEFAULT_MAX_PIXELS)


def run_inpaint(args: argparse.Namespace) -> int:
    try:
        inputs, options = _inpaint_options(args)
        with _output_folder_kept_only_if_used(options.output_dir):
            return _run_inpaint(inputs, options)
    except KintsugiError as exc:
        _error(str(exc))
        return EXIT_USAGE


def _run_inpaint(inputs: list[Path], options: batch.Options) -> int:
    try:
        jobs = batch.plan(inputs, options=options)
        if not jobs:
            _error(f"no images (PNG, JPEG, WebP, BMP, TIFF) found in {', '.join(map(str, inputs))}")
            return EXIT_FAILED
        mode = "censor repair" if options.auto else "mosaic restoration" if options.kind == "mosaic" else "inpainting"
        print(f"kintsugi: {mode} of {len(jobs)} image(s) into {options.output_dir}/", file=sys.stderr)
        summary = batch.run(jobs, options=options, on_outcome=_print_outcome)
    except KintsugiError as exc:
        _error(str(exc))
        return EXIT_USAGE
    return _finish(summary)


def _finish(summary: batch.Summary) -> int:
    """Print the failures again under the progress output, then the summary; the exit code."""
    failed = summary.by_status("failed")
    if failed and len(summary.outcomes) > 1:
        print("failed:", file=sys.stderr)
        for outcome in failed:
            print(f"  {outcome.message}", file=sys.stderr)
    print(f"kintsugi: {summary.describe()}")
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.ok else EXIT_FAILED


def _inpaint_options(args: argparse.Namespace) -> tuple[list[Path], batch.Options]:
    inputs = [Path(p) for p in args.inputs]
    originals = Path(args.originals) if args.originals else None
    if not inputs:
        if not DEFAULT_INPUT.is_dir():
            raise KintsugiError(
                f"no input given and no {DEFAULT_INPUT}/ folder in {Path.cwd()}; "
                "give files or folders, e.g. `kintsugi inpaint painted/ -o out/`"
            )
        inputs = [DEFAULT_INPUT]
        if originals is None and _has_files(DEFAULT_ORIGINALS):
            originals = DEFAULT_ORIGINALS
    _check_inputs_exist(inputs)
    for folder, flag in ((originals, "--originals"), (args.masks, "--masks")):
        if folder is not None and not Path(folder).is_dir():
            raise KintsugiError(f"{flag} {folder}: no such folder")
        if folder is not None and any(p.is_dir() and p.resolve() == Path(folder).resolve() for p in inputs):
            raise KintsugiError(f"{flag} {folder} is the input folder; it must hold other files than the inputs")
    if args.auto and (originals is not None or args.masks):
        raise KintsugiError("--auto finds the mosaics itself; it does not combine with --originals or --masks")
    options = batch.Options(
        output_dir=Path(args.output) if args.output else DEFAULT_OUTPUT,
        originals_dir=originals,
        masks_dir=Path(args.masks) if args.masks else None,
        method=args.method,
        recursive=args.recursive,
        overwrite=args.overwrite,
        max_pixels=args.max_pixels or None,
        auto=args.auto,
        kinds=args.kinds,
    )
    if args.kinds is not None and not args.auto:
        raise KintsugiError("--kinds narrows what --auto finds; give --auto too")
    return inputs, options


def _check_inputs_exist(inputs: list[Path]) -> None:
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        raise KintsugiError(f"no such file or folder: {', '.join(missing)}")


@contextlib.contextmanager
def _output_folder_kept_only_if_used(folder: Path) -> Iterator[None]:
    """Remove the output folder afterwards if this run created it and wrote nothing there."""
    existed = folder.exists()
    try:
        yield
    finally:
        if not existed and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() and not p.name.startswith(".") for p in folder.iterdir())


def _print_outcome(outcome: batch.Outcome) -> None:
    # tqdm.write keeps the progress bar (on stderr) intact below the lines.
    stream = sys.stderr if outcome.status == "failed" else sys.stdout
    prefix = "error: " if outcome.status == "failed" else ""
    tqdm.write(prefix + outcome.message, file=stream)


def _error(message: str) -> None:
    print(f"kintsugi: error: {message}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# kintsugi detect


def configure_detect(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="IN", help="images and/or folders")
    parser.add_argument("-o", "--output", metavar="OUT", required=True, help="output folder")
    parser.add_argument(
        "--masks", action="store_true", help="write masks (white = censor) instead of green-painted images"
    )
    _add_kinds(parser)
    parser.add_argument("-r", "--recursive", action="store_true", help="also read sub-folders")
    parser.add_argument("--overwrite", action="store_true", help="redo outputs that already exist")
    parser.add_argument(
        "--max-pixels", type=argtypes.non_negative_int, metavar="N", help="refuse larger images (0 = no limit)"
    )
    parser.set_defaults(max_pixels=io.DEFAULT_MAX_PIXELS)


# Censor kinds (kintsugi.detect.KINDS and DEFAULT_KINDS; spelled out here so that building the
# parser does not import the detection package).
KINDS = ("mosaic", "bar", "translucent")
DEFAULT_KINDS = ("mosaic",)


def _kinds(text: str) -> tuple[str, ...]:
    """argparse type: comma-separated censor kinds."""
    chosen = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in chosen if k not in KINDS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown kind(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(KINDS)}"
        )
    return chosen


def _add_kinds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kinds",
        type=_kinds,
        metavar="K,K",
        help=f"censor kinds to find, comma-separated, from {', '.join(KINDS)} (default: {', '.join(DEFAULT_KINDS)}; "
        "bars are experimental)",
    )


def run_detect(args: argparse.Namespace) -> int:
    options = batch.Options(
        output_dir=Path(args.output),
        recursive=args.recursive,
        overwrite=args.overwrite,
        max_pixels=args.max_pixels or None,
        kinds=args.kinds,
    )
    try:
        _check_inputs_exist([Path(p) for p in args.inputs])
    except KintsugiError as exc:
        _error(str(exc))
        return EXIT_USAGE
    with _output_folder_kept_only_if_used(options.output_dir):
        return _run_detect(args, options)


def _run_detect(args: argparse.Namespace, options: batch.Options) -> int:
    try:
        jobs = batch.plan([Path(p) for p in args.inputs], options=options)
        if not jobs:
            _error(f"no images (PNG, JPEG, WebP, BMP, TIFF) found in {', '.join(args.inputs)}")
            return EXIT_FAILED
        what = "masks" if args.masks else "green-painted images"
        print(
            f"kintsugi: detecting {', '.join(args.kinds or DEFAULT_KINDS)} in {len(jobs)} image(s); {what} into "
            f"{options.output_dir}/",
            file=sys.stderr,
        )
        work = functools.partial(batch.detect_file, options=options, as_mask=args.masks)
        summary = batch.run(jobs, options=options, on_outcome=_print_outcome, work=work)
    except KintsugiError as exc:
        _error(str(exc))
        return EXIT_USAGE
    return _finish(summary)


# ---------------------------------------------------------------------------------------------
# kintsugi serve (the page lives in kintsugi.server; FastAPI is imported only when it runs)


def configure_serve(parser: argparse.ArgumentParser) -> None:
    from kintsugi import server

    server.configure_cli(parser)


def run_serve(args: argparse.Namespace) -> int:
    from kintsugi import server

    return server.run_cli(args)


def configure_app(parser: argparse.ArgumentParser) -> None:
    from kintsugi.server import launch

    launch.configure_cli(parser)


def run_app(args: argparse.Namespace) -> int:
    from kintsugi.server import launch

    return launch.run_cli(args)


# ---------------------------------------------------------------------------------------------
# kintsugi methods


def configure_methods(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", choices=("inpaint", "mosaic"), help="list only one kind")


def run_methods(args: argparse.Namespace) -> int:
    listed = methods.available(args.kind)
    width = max((len(m.name) for m in listed), default=4)
    for meta in listed:
        flag = "default" if meta.default else ""
        print(f"{meta.name:<{width}}  {meta.kind:<7}  {flag:<7}  {meta.description}")
    return EXIT_OK


COMMANDS: dict[str, Command] = {
    "inpaint": Command(
        help="repair green-painted images (or mosaics, with --originals)",
        configure=configure_inpaint,
        run=run_inpaint,
    ),
    "detect": Command(
        help="find censors (mosaics; bars with --kinds); write the images painted green (or masks, with --masks)",
        configure=configure_detect,
        run=run_detect,
    ),
    "serve": Command(help="serve the repair page at an address to open", configure=configure_serve, run=run_serve),
    "app": Command(
        help="start the page on a free port and open it in your browser", configure=configure_app, run=run_app
    ),
    "methods": Command(help="list the filling methods available here", configure=configure_methods, run=run_methods),
}


if __name__ == "__main__":
    sys.exit(main())
