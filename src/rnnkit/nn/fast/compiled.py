"""rnnkit's loops compiled from C++ (``csrc/``), where a compiler is there: the fused LSTM
layer (``lstm_fused.cpp``, see :mod:`.lstm_fused`), the LSTM's step loops (``lstm_loop.cpp``)
and MinGRU/MinLSTM's sequence pass (``min_scan.cpp``, see :mod:`rnnkit.nn.minscan`; with the
input projection inside, ``min_fused.cpp``, see :mod:`rnnkit.nn.minfused`).

At hidden sizes of 64 and below a step's elementwise work is a few thousand floats, and the nine
ATen calls of the TorchScript loop (:mod:`.lstm`) cost more than the arithmetic: the scratch
LSTM at (N=32, L=200, H_in=32, H=64) took 2.4x the time of torch's fused kernel. The C++ step
loop does each step's elementwise work in one pass (vectorised ``exp`` from glibc's libmvec);
the fused layer also does the step's products on AVX-512 register tiles (``small_gemm.h``),
the input projection and the weight gradients included, and took 0.70x torch's time there.
MinGRU/MinLSTM's recurrence is linear in h, and on one core a sequential pass over each row,
vectorised over H, is the work-optimal scan: one read of the gates and one write of the
states, against a dozen ATen passes of the tree scan.

It is built the first time a small LSTM step or a MinGRU/MinLSTM runs on a CPU in float32,
with ``torch.utils.cpp_extension.load`` (about a minute here, once: the result is cached under
``~/.cache/torch_extensions``), for this machine's CPU (``-march=native``), with ``-fopenmp``
where torch runs on GNU OpenMP (:func:`_openmp`) so that ``at::parallel_for`` uses torch's
threads. Without a C++ compiler or ninja, if the build fails, or with
``RNNKIT_COMPILED_LOOPS=0`` in the environment, :func:`loops` returns None and the TorchScript
loop (LSTM) or the tree scan (MinGRU/MinLSTM) runs: the same results within float32 rounding
(the tests compare both).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import warnings
from pathlib import Path

_CPP = ("lstm_loop.cpp", "lstm_fused.cpp", "min_scan.cpp", "min_fused.cpp", "module.cpp")
SOURCES = [Path(__file__).with_name("csrc") / f for f in _CPP]
FLAGS = ["-O3", "-march=native", "-ffast-math", "-fopenmp-simd"]
OPENMP = ["-fopenmp"]  # only where torch runs on GNU OpenMP: see _openmp

_module = None
_tried = False


def available() -> bool:
    """Whether the C++ loops may be built here: switched on, a C++ compiler and ninja found."""
    if os.environ.get("RNNKIT_COMPILED_LOOPS", "1") == "0" or sys.platform != "linux":
        return False
    return bool(shutil.which("ninja") or _ninja_module()) and bool(
        shutil.which(os.environ.get("CXX", "c++"))
    )


def _ninja_module() -> bool:
    try:
        import ninja  # noqa: F401
    except ImportError:
        return False
    return True


def loops():
    """The compiled module (``forward_loop``, ``backward_loop``, ``min_forward``,
    ``min_backward``), or None; built once."""
    global _module, _tried
    if not _tried:
        _tried = True
        if available():
            _module = _build()
    return _module


def _build_tag() -> str:
    """A short hash of this CPU's feature flags, the build flags and the C++ sources with their
    headers: a build for ``-march=native`` is cached under a name of its own per kind of CPU
    (a home folder shared by machines of a cluster) and per version of the code (torch's cache
    would not see a changed header)."""
    try:
        flags = next(
            ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("flags")
        )
    except (OSError, StopIteration):
        flags = ""
    digest = hashlib.sha1(flags.encode() + " ".join(sum(_flags(), [])).encode())
    for path in sorted(SOURCES[0].parent.iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def _openmp() -> bool:
    """Whether the loops may use torch's threads (``at::parallel_for``, compiled with
    ``-fopenmp``): only where the process runs GNU OpenMP (torch's Linux wheels bring
    ``libgomp.so.1``), whose library the module then shares. Against another runtime (Intel's
    ``libiomp5``), a second one would start its own threads beside torch's, so the loops stay
    on one thread there."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return False
    return "libgomp" in maps and "libiomp" not in maps


def _flags() -> tuple[list[str], list[str]]:
    """Compiler and linker flags: ``FLAGS``, with ``OPENMP`` where :func:`_openmp` allows."""
    if _openmp():
        return [f for f in FLAGS if f != "-fopenmp-simd"] + OPENMP, OPENMP
    return FLAGS, []


def _cached(name: str) -> bool:
    """Whether torch's extension cache already holds a build named ``name``."""
    try:
        from torch.utils.cpp_extension import _get_build_directory

        return (Path(_get_build_directory(name, False)) / f"{name}.so").is_file()
    except Exception:  # noqa: BLE001 - a private helper of torch: unknown means "say it"
        return False


def _build():
    try:
        from torch.utils.cpp_extension import load

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            name = f"rnnkit_loops_{_build_tag()}"
            if not _cached(name):
                print(
                    "rnnkit: building its C++ loops for this CPU (once, about a minute; "
                    "RNNKIT_COMPILED_LOOPS=0 skips it)",
                    file=sys.stderr,
                    flush=True,
                )
            cflags, ldflags = _flags()
            sources = [str(f) for f in SOURCES]
            return load(name, sources, extra_cflags=cflags, extra_ldflags=ldflags, verbose=False)
    except Exception:  # noqa: BLE001 - any build failure: the TorchScript loop runs instead
        return None


lstm_loops = loops  # the name the LSTM's loops were first published under

__all__ = ["available", "loops", "lstm_loops"]
