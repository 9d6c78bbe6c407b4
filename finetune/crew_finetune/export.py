"""Exporting a constrained model: float32 tensors that `crew-host compile` quantizes to
exactly the integers trained, written whole (temporary file, then rename)."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .constrain import QMAX, CrewConstraint, check_crew_host_grid


def snapped_state_dict(model: nn.Module, constraint: CrewConstraint | None = None
                       ) -> dict[str, np.ndarray]:
    """All parameters of `model` as float32 arrays under their plain names
    (`encoder.weight_ih_l0`, ...); constrained matrices hold q * s with q the trained
    integers, each checked to come back as q under crew-host's own per-tensor scale."""
    out: dict[str, np.ndarray] = {}
    snapped: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}
    if constraint is not None:
        with torch.no_grad():
            for name, cb, latent in constraint.items():
                q = cb.integers(latent).double()
                w = (q * cb.scale).float()
                row, col, _ = (int(v) for v in cb.pin)
                w[row, col] = torch.sign(q[row, col]) * cb.max_abs  # exactly the kept max|W|
                snapped[name] = (w.numpy().astype(np.float32), q.numpy().astype(np.int32), cb.k)
    for name, value in model.state_dict().items():
        # parametrize stores `<module>.parametrizations.<p>.original` and its buffers.
        if ".parametrizations." in name:
            continue
        out[name] = value.detach().cpu().float().numpy()
    for name, (w, q, k) in snapped.items():
        check_crew_host_grid(name, w, q, k)
        assert np.abs(q).max() == QMAX
        out[name] = w
    return out


def write_npz(path: str | os.PathLike, tensors: dict[str, np.ndarray]) -> None:
    """An .npz of float32 tensors, written to a temporary file and renamed when complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
            # Fixed member order and timestamps: the same tensors give the same bytes.
            for name in sorted(tensors):
                buf = io.BytesIO()
                np.save(buf, np.ascontiguousarray(tensors[name], dtype=np.float32))
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                z.writestr(info, buf.getvalue())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the file from other users
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """A text file written whole (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the file from other users
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def export_npz(model: nn.Module, path: str | os.PathLike,
               constraint: CrewConstraint | None = None,
               rename: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """Writes the snapped parameters to an .npz (names PyTorch's, or `rename[name]`;
    with `rename`, only the renamed tensors are written). `crew-host compile X.npz --layer
    PREFIX` reads PyTorch names directly; a model description can name any tensor."""
    tensors = snapped_state_dict(model, constraint)
    if rename is not None:
        missing = [n for n in rename if n not in tensors]
        if missing:
            raise KeyError(f"no parameter named {', '.join(missing)} in the model")
        tensors = {rename[n]: tensors[n] for n in rename}
    write_npz(path, tensors)
    return tensors
