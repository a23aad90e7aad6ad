"""Batch repair of files and folders: discovery, pairing, skip/resume, progress, summary.

The promise: every bad file gets one line naming it and the reason, the batch goes on, no input
is ever modified, no partial output is ever left behind (io.write_image is atomic), and a re-run
resumes because finished outputs are skipped.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np
from tqdm import tqdm

from kintsugi import engine, io, masks, methods, regions
from kintsugi.errors import KintsugiError, NoHoleFound, OutputError, PairingError

if TYPE_CHECKING:
    from kintsugi.detect import Censors

Status = Literal["done", "skipped", "failed"]
Work = Callable[["Job"], str]  # does one job, returns its report line; raises KintsugiError


@dataclass(frozen=True)
class Options:
    """Everything that applies to the whole batch."""

    output_dir: Path
    originals_dir: Path | None = None  # mosaic mode: un-painted originals, paired by stem
    masks_dir: Path | None = None  # masks as files (white = hole), paired by stem
    method: str | None = None  # None: the default method of the mode's kind
    recursive: bool = False
    overwrite: bool = False
    max_pixels: int | None = io.DEFAULT_MAX_PIXELS
    auto: bool = False  # find the censors automatically instead of reading green paint
    kinds: tuple[str, ...] | None = None  # with auto (and detect): the censor kinds; None = all

    @property
    def kind(self) -> str:
        return "mosaic" if self.originals_dir is not None or self.auto else "inpaint"


@dataclass(frozen=True)
class Job:
    """One input and where its result goes; ``problem`` is set when planning already failed."""

    source: Path
    output: Path
    original: Path | None = None
    mask_file: Path | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Outcome:
    source: Path
    status: Status
    message: str  # one line for the user, naming the file
    output: Path | None = None


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False
    not_started: int = 0  # jobs never finished because of Ctrl-C

    def by_status(self, status: Status) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        """True when nothing failed, nothing was interrupted and there was something to do."""
        return bool(self.outcomes) and not self.interrupted and not self.by_status("failed")

    def describe(self) -> str:
        parts = [f"{len(self.by_status(s))} {s}" for s in ("done", "skipped", "failed")]
        text = ", ".join(parts)
        if self.interrupted:
            text += f"; interrupted, {self.not_started} not finished (run again to resume)"
        return text


# ---------------------------------------------------------------------------------------------
# Planning: which files, where their results go, which original/mask belongs to each.


def plan(inputs: Sequence[str | os.PathLike[str]], *, options: Options) -> list[Job]:
    """Expand files and folders into jobs. Raises OutputError for a batch that cannot work at all
    (output folder = an input folder); per-file problems become jobs with ``problem`` set."""
    output_dir = Path(os.path.abspath(options.output_dir))
    side_dirs = [Path(os.path.abspath(d)) for d in (options.originals_dir, options.masks_dir) if d is not None]
    sources: list[tuple[Path, Path]] = []  # (file, folder relative to its input root)
    missing: list[Path] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            if Path(os.path.abspath(path)) == output_dir:
                raise OutputError(f"the output folder {path} is also an input folder; choose another -o")
            sources.extend(_walk(path, recursive=options.recursive, skip=[output_dir, *side_dirs]))
        elif path.exists():
            sources.append((path, Path()))
        else:
            missing.append(path)
    jobs = [Job(source=p, output=p, problem=f"{p}: no such file or folder") for p in missing]
    # Outputs keep the folder as the user wrote it (messages show "out/a.png", not a long path).
    jobs.extend(_pair(_dedupe(sources), options=options, output_dir=Path(options.output_dir)))
    return jobs


def _walk(root: Path, *, recursive: bool, skip: Sequence[Path]) -> Iterable[tuple[Path, Path]]:
    """Image files under ``root`` (sorted), never descending into ``skip`` folders (an output
    folder inside the input folder must not be read back as input) or hidden folders."""
    for folder, subdirs, files in os.walk(root):
        here = Path(folder)
        subdirs[:] = sorted(
            d for d in subdirs if recursive and not d.startswith(".") and Path(os.path.abspath(here / d)) not in skip
        )
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in io.IMAGE_EXTENSIONS:
                yield here / name, here.relative_to(root)


def _dedupe(sources: Iterable[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    seen: set[str] = set()
    unique = []
    for path, rel in sources:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            unique.append((path, rel))
    return unique


def _pair(sources: list[tuple[Path, Path]], *, options: Options, output_dir: Path) -> list[Job]:
    protected = {os.path.realpath(p) for p, _ in sources}
    claimed: dict[Path, Path] = {}  # output -> the source that writes it
    finder = PartnerFinder()
    jobs = []
    for source, rel in sources:
        output = output_dir / rel / f"{source.stem}.png"
        problem = None
        original = mask_file = None
        try:
            if os.path.realpath(output) in protected:
                raise OutputError(f"{source}: output {output} would overwrite an input; choose another -o")
            if output in claimed:
                raise OutputError(
                    f"{source}: {claimed[output]} already writes {output} (same name); rename one of them"
                )
            claimed[output] = source
            if options.originals_dir is not None:
                original = finder.find(Path(options.originals_dir) / rel, source.stem, what="original")
            if options.masks_dir is not None:
                mask_file = finder.find(Path(options.masks_dir) / rel, source.stem, what="mask")
        except KintsugiError as exc:
            problem = _line(source, exc)
        for partner in (original, mask_file):
            if partner is not None and os.path.realpath(partner) == os.path.realpath(source):
                problem = f"{source}: pairs with itself; --originals/--masks must hold other files than the inputs"
            elif partner is not None and os.path.realpath(output) == os.path.realpath(partner):
                problem = f"{source}: output {output} would overwrite {partner}; choose another -o"
        jobs.append(Job(source=source, output=output, original=original, mask_file=mask_file, problem=problem))
    return jobs


class PartnerFinder:
    """Finds the file with the same stem, any image extension, in a folder (listed once)."""

    def __init__(self) -> None:
        self._index: dict[Path, dict[str, list[Path]]] = {}

    def find(self, folder: Path, stem: str, *, what: str) -> Path:
        index = self._index.get(folder)
        if index is None:
            index = self._index[folder] = _index_folder(folder)
        candidates = index.get(stem, [])
        if not candidates:
            raise PairingError(f"no {what} named {stem}.* in {folder}")
        if len(candidates) > 1:
            names = " and ".join(c.name for c in candidates)
            raise PairingError(f"ambiguous {what}: {names} in {folder} both match; keep only one")
        return candidates[0]


def _index_folder(folder: Path) -> dict[str, list[Path]]:
    index: dict[str, list[Path]] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return index  # a missing folder just means "no partner": reported per file
    for entry in entries:
        if entry.suffix.lower() in io.IMAGE_EXTENSIONS and entry.is_file():
            index.setdefault(entry.stem, []).append(entry)
    return index


# ---------------------------------------------------------------------------------------------
# Running.


def prepare(options: Options) -> str:
    """Checks that concern the whole batch, before any file is touched. Returns the method name.

    Raises MethodError (unknown method, or of the wrong kind for the mode) and OutputError (the
    output folder cannot be created or written)."""
    name = methods.require(options.method, kind=options.kind).name
    methods.get(name)  # build it now: a broken backend fails once, not once per file
    ensure_writable_dir(Path(options.output_dir))
    return name


def ensure_writable_dir(folder: Path) -> None:
    """Create ``folder`` if needed and prove it writable by creating and removing a file there
    (os.access is not enough: it says yes to root on a read-only mount)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"output folder {folder} exists but is not a folder") from None
    except OSError as exc:
        raise OutputError(f"cannot create output folder {folder}: {exc.strerror or exc}") from None
    probe = folder / f".kintsugi-write-test-{os.getpid()}.tmp"
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"output folder {folder} is not writable: {exc.strerror or exc}") from None


def run(
    jobs: Sequence[Job],
    *,
    options: Options,
    on_outcome: Callable[[Outcome], None] | None = None,
    progress: bool | None = None,
    work: Work | None = None,
) -> Summary:
    """Process ``jobs`` in order. Per-file errors become failed outcomes; Ctrl-C stops cleanly
    (the file being written is discarded) and is reported in the summary, not raised.

    ``progress``: True/False forces the bar on/off; None shows it only on a terminal.
    ``work``: what to do with each job; default: repair it with the options' method.
    """
    if work is None:
        work = functools.partial(repair_file, options=options, method=prepare(options))
    else:
        ensure_writable_dir(Path(options.output_dir))
    summary = Summary()
    bar = tqdm(total=len(jobs), file=sys.stderr, unit="image", disable=None if progress is None else not progress)
    try:
        for job in jobs:
            outcome = process(job, options=options, work=work)
            summary.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
            bar.update()
    except KeyboardInterrupt:
        summary.interrupted = True
        summary.not_started = len(jobs) - len(summary.outcomes)
    finally:
        bar.close()
    return summary


def process(job: Job, *, options: Options, work: Work) -> Outcome:
    """One job -> one outcome. Never raises for a bad file; KeyboardInterrupt passes through."""
    if job.problem is not None:
        return Outcome(job.source, "failed", job.problem)
    if job.output.exists() and not options.overwrite:
        return Outcome(job.source, "skipped", f"{job.source}: skipped, {job.output} exists (--overwrite to redo)")
    try:
        note = work(job)
    except KintsugiError as exc:
        return Outcome(job.source, "failed", _line(job.source, exc))
    except MemoryError:
        return Outcome(job.source, "failed", f"{job.source}: not enough memory for this image")
    except Exception as exc:  # a bug must not cost the rest of the batch; say what it was
        return Outcome(job.source, "failed", f"{job.source}: unexpected error ({type(exc).__name__}: {exc})")
    return Outcome(job.source, "done", f"{job.source} -> {job.output}: {note}", output=job.output)


def repair_file(job: Job, *, options: Options, method: str) -> str:
    """Read, find the hole, repair, write atomically. Returns the report line; raises
    KintsugiError subclasses for anything wrong with this file."""
    picture = io.read_image(job.source, max_pixels=options.max_pixels)
    if options.auto:
        return _repair_auto(job, picture, options=options, method=method)
    hole, note = _hole_of(job, picture, options=options)
    pixels, alpha, icc = picture.rgb, picture.alpha, picture.icc_profile
    if job.original is not None:
        original = io.read_image(job.original, max_pixels=options.max_pixels)
        if original.size != picture.size:
            raise PairingError(
                f"original {job.original} is {original.size[0]}x{original.size[1]} but the painted image "
                f"is {picture.size[0]}x{picture.size[1]}"
            )
        pixels, icc = original.rgb, original.icc_profile
        alpha = original.alpha if original.alpha is not None else picture.alpha
    result = engine.fill_holes(pixels, hole, method=method, kind=options.kind)
    if _hole_unchanged(result, pixels, hole=hole):
        # Writing this would silently hand back the input (DeepCreamPy's mosaic-mode failure).
        raise KintsugiError(f"method {method!r} left the hole unchanged; nothing written")
    job.output.parent.mkdir(parents=True, exist_ok=True)
    io.write_image(job.output, result, alpha=alpha, icc_profile=icc)
    if picture.frames > 1:
        note += f"; animated ({picture.frames} frames): first frame only"
    return note


def _hole_unchanged(result: np.ndarray, pixels: np.ndarray, *, hole: np.ndarray) -> bool:
    # Compare inside the hole's bounding rectangle only: a page may be 24 megapixels.
    x, y, w, h = cv2.boundingRect(hole.view(np.uint8))
    window = hole[y : y + h, x : x + w]
    return np.array_equal(result[y : y + h, x : x + w][window], pixels[y : y + h, x : x + w][window])


def _repair_auto(job: Job, picture: io.Picture, *, options: Options, method: str) -> str:
    """`inpaint --auto`: find the censors and repair each kind its own way (kintsugi.repair)."""
    from kintsugi import repair  # imported on use: only --auto needs detection

    found = _detected(picture.rgb, kinds=options.kinds)
    result = repair.repair_censors(picture.rgb, found, mosaic_method=method)
    hole = found.mask()
    if _hole_unchanged(result, picture.rgb, hole=hole):
        raise KintsugiError("the censors were found but the repair left them unchanged; nothing written")
    job.output.parent.mkdir(parents=True, exist_ok=True)
    io.write_image(job.output, result, alpha=picture.alpha, icc_profile=picture.icc_profile)
    return found.describe()


def detect_file(job: Job, *, options: Options, as_mask: bool) -> str:
    """`kintsugi detect`: write the image with its detected censors painted pure green (ready for
    `kintsugi inpaint`), or with ``as_mask`` the mask (white = censor)."""
    picture = io.read_image(job.source, max_pixels=options.max_pixels)
    found = _detected(picture.rgb, kinds=options.kinds)
    hole = found.mask()
    job.output.parent.mkdir(parents=True, exist_ok=True)
    if as_mask:
        io.write_image(job.output, np.repeat(hole[..., None], 3, axis=2).astype(np.uint8) * 255, alpha=None)
    else:
        painted = picture.rgb.copy()
        painted[hole] = (0, 255, 0)
        io.write_image(job.output, painted, alpha=picture.alpha, icc_profile=picture.icc_profile)
    return found.describe()


def _detected(rgb: np.ndarray, *, kinds: tuple[str, ...] | None) -> Censors:
    from kintsugi import detect  # imported on use: only detection needs it

    found = detect.detect_censors(rgb, kinds=kinds)
    if not found.censors:
        what = " or ".join(kinds) if kinds else "censor"
        raise NoHoleFound(f"no {what} found; nothing written")
    return found


def _hole_of(job: Job, picture: io.Picture, *, options: Options) -> tuple[np.ndarray, str]:
    """The hole mask (bool HxW) and the line that reports how it was found."""
    if job.mask_file is not None:
        hole = masks.mask_from_file(job.mask_file, shape=picture.rgb.shape[:2], max_pixels=options.max_pixels)
        count = int(np.count_nonzero(hole))
        report = masks.MaskReport(regions=regions.count_regions(hole), hole_pixels=count, fringe_pixels=0)
        if report.empty:
            raise NoHoleFound(f"mask {job.mask_file} has no white pixels; nothing written")
        return hole, report.describe()
    hole, report = masks.green_mask(picture.rgb)
    if report.empty:
        raise NoHoleFound(f"{report.describe()}; nothing written")
    return hole, report.describe()


def _line(source: Path, exc: BaseException) -> str:
    """One line naming the file; reading errors already start with the path."""
    text = str(exc)
    return text if text.startswith(str(source)) else f"{source}: {text}"
