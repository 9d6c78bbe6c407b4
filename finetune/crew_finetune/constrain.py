"""Column codebooks on the per-tensor int8 grid, trained with a straight-through estimator.

CREW indexes a weight matrix W (n_out x n_in, PyTorch's layout for nn.Linear.weight and
nn.GRU/nn.LSTM weight_ih_l*/weight_hh_l*) by input column: column i holds the weights of
input i over all outputs, and its index width is ceil(log2 u_i) for its u_i distinct
values. This module keeps every column to at most K distinct values, all of them on the
matrix's per-tensor int8 grid, the very grid `crew-host compile` computes:

    s = max|W| / 127,   q = round(W / s) in [-127, 127]   (host-driver/src/compiler/quant.rs)

Two things make crew-host reproduce the intended integers exactly:

* max|W| is fixed: the scale s is taken from the float weights when the constraint is
  attached, and the element holding max|W| is pinned to +-127 (its column's codebook always
  contains that value), so the exported matrix has the same max|W| and hence the same s;
* the exported floats are q * s (float32), which round back to q under that s
  (`check_crew_host_grid` verifies it with crew-host's arithmetic).

The forward pass uses the snapped weights; the gradient flows to the latent float weights
unchanged (straight-through). Codebooks are refitted by 1-D k-means per column (vectorized
over columns, warm-started from the current codebook) whenever `refit` is called.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

QMAX = 127.0


def kmeans_columns(q: torch.Tensor, k: int, init: torch.Tensor | None = None,
                   iters: int = 20) -> torch.Tensor:
    """Per-column 1-D k-means of q (n_out x n_in, on the int8 scale).

    Returns centroids (n_in x k) rounded to integers in [-127, 127], ascending per column.
    The start is the quantiles of each column (crew-host's start) or `init` (warm start).
    Columns with at most k distinct values end with exactly those values (plus repeats).
    """
    v = q.detach().t().contiguous().double()  # (n_in, n_out)
    n_in, n_out = v.shape
    if init is None:
        srt = v.sort(dim=1).values
        pos = torch.tensor([((2 * j + 1) * n_out) // (2 * k) for j in range(k)])
        c = srt[:, pos].clone()
    else:
        c = init.detach().double().clone()
    for _ in range(iters):
        assign = (v[:, :, None] - c[:, None, :]).abs().argmin(dim=2)
        sums = torch.zeros_like(c).scatter_add_(1, assign, v)
        counts = torch.zeros_like(c).scatter_add_(1, assign, torch.ones_like(v))
        nxt = torch.where(counts > 0, sums / counts.clamp(min=1), c)
        if torch.equal(nxt, c):
            break
        c = nxt
    c = c.round().clamp(-QMAX, QMAX)
    if init is None:
        # A column already on the grid with at most k values keeps exactly those values
        # (quantile starts can merge them): fine-tuning a fine-tuned model starts where it was.
        on_grid = (v - v.round()).abs().amax(dim=1) < 1e-3
        for i in range(n_in):
            u = torch.unique(v[i].round())
            if on_grid[i] and len(u) <= k:
                c[i] = torch.cat([u, u[-1:].expand(k - len(u))])
    return c.sort(dim=1).values.float()


def snap_to_codebook(q: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Each q[o, i] replaced by the nearest entry of codebook[i] (n_in x k)."""
    d = (q.t()[:, :, None] - codebook[:, None, :]).abs()  # (n_in, n_out, k)
    idx = d.argmin(dim=2)
    return codebook.gather(1, idx).t()


class ColumnCodebook(nn.Module):
    """Parametrization of one weight matrix: W -> s * codebook_i[nearest], straight-through.

    Buffers: `max_abs` (fixed max|W|), `codebook` (n_in x k, integers as floats) and the
    pinned element (row, column, sign) that keeps max|W| and so the scale.
    """

    def __init__(self, weight: torch.Tensor, k: int):
        super().__init__()
        if weight.dim() != 2:
            raise ValueError(f"a CREW matrix is 2-D, got shape {tuple(weight.shape)}")
        if not 1 <= k <= 256:
            raise ValueError(f"K must be 1..256 (8-bit indices at most), got {k}")
        w = weight.detach()
        flat = w.abs().argmax()
        row, col = divmod(int(flat), w.shape[1])
        m = float(w.abs().max())
        if m == 0.0:
            raise ValueError("an all-zero matrix has no int8 scale to keep")
        self.k = k
        self.register_buffer("max_abs", torch.tensor(m, dtype=torch.float32))
        self.register_buffer("pin", torch.tensor([row, col, 1 if w[row, col] > 0 else -1]))
        self.register_buffer("codebook", torch.zeros(w.shape[1], k))
        self.refit(w, warm=False)

    @property
    def scale(self) -> torch.Tensor:
        return self.max_abs.double() / QMAX

    def grid(self, w: torch.Tensor) -> torch.Tensor:
        """W on the int8 scale (floats, clamped to +-127)."""
        return (w.double() / self.scale).clamp(-QMAX, QMAX)

    @torch.no_grad()
    def refit(self, w: torch.Tensor, warm: bool = True, iters: int = 20) -> None:
        """Refits every column's codebook to the latent weights w (k-means on the grid)."""
        q = self.grid(w)
        cb = kmeans_columns(q, self.k, self.codebook if warm else None, iters)
        row, col, sign = (int(v) for v in self.pin)
        # The pinned column's nearest entry to the pin becomes exactly +-127.
        j = int((cb[col] - sign * QMAX).abs().argmin())
        cb[col, j] = sign * QMAX
        self.codebook.copy_(cb.sort(dim=1).values)

    def integers(self, w: torch.Tensor) -> torch.Tensor:
        """The int8 values of the snapped matrix (as a float tensor of integers)."""
        q = snap_to_codebook(self.grid(w).float(), self.codebook)
        row, col, sign = (int(v) for v in self.pin)
        q[row, col] = sign * QMAX
        return q

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        snapped = (self.integers(w).double() * self.scale).to(w.dtype)
        return w + (snapped - w).detach()


# Weight names CREW runs as matrices, per module type.
def _matrix_names(module: nn.Module) -> list[str]:
    if isinstance(module, nn.Linear):
        return ["weight"]
    if isinstance(module, (nn.GRU, nn.LSTM)):
        if module.proj_size if isinstance(module, nn.LSTM) else False:
            raise ValueError("LSTM projections (proj_size > 0) have no CREW layer")
        return [n for n, _ in module.named_parameters(recurse=False)
                if n.startswith("weight_")]
    return []


@dataclass
class MatrixStats:
    name: str
    shape: tuple[int, int]
    unique_mean: float
    unique_max: int
    bits_max: int


class CrewConstraint:
    """Every CREW matrix of a model constrained to <= K values per column.

    >>> cons = CrewConstraint(model, k=16)   # nn.Linear / nn.GRU / nn.LSTM weights
    >>> ...train: loss.backward(); opt.step(); every N steps cons.refit()
    >>> cons.stats()                         # unique values per column, index bits
    >>> export.snapped_state_dict(model)     # exact floats for crew-host

    `skip` names modules (as in model.named_modules()) to leave unconstrained.
    """

    def __init__(self, model: nn.Module, k: int, skip: tuple[str, ...] = ()):
        self.model = model
        self.k = k
        self.matrices: list[tuple[str, nn.Module, str]] = []
        for mname, module in list(model.named_modules()):
            if mname in skip:
                continue
            for pname in _matrix_names(module):
                weight = getattr(module, pname)
                parametrize.register_parametrization(
                    module, pname, ColumnCodebook(weight, k), unsafe=True)
                self.matrices.append((mname, module, pname))
        if not self.matrices:
            raise ValueError("the model has no nn.Linear, nn.GRU or nn.LSTM weight to constrain")

    def items(self):
        """(qualified name, parametrization, latent weight) of every constrained matrix."""
        for mname, module, pname in self.matrices:
            p = module.parametrizations[pname]
            name = f"{mname}.{pname}" if mname else pname
            yield name, p[0], p.original

    @torch.no_grad()
    def refit(self, iters: int = 5) -> None:
        """Refits all codebooks to the current latent weights (warm-started k-means)."""
        for _, cb, latent in self.items():
            cb.refit(latent, warm=True, iters=iters)

    @torch.no_grad()
    def clamp_(self) -> None:
        """Keeps latent weights within +-max|W| (outside, the STE gradient is unbounded)."""
        for _, cb, latent in self.items():
            latent.clamp_(-float(cb.max_abs), float(cb.max_abs))

    @torch.no_grad()
    def stats(self) -> list[MatrixStats]:
        out = []
        for name, cb, latent in self.items():
            q = cb.integers(latent)
            uniq = [len(torch.unique(q[:, i])) for i in range(q.shape[1])]
            out.append(MatrixStats(name, tuple(q.shape), sum(uniq) / len(uniq), max(uniq),
                                   max(math.ceil(math.log2(u)) if u > 1 else 0 for u in uniq)))
        return out

    def remove(self) -> None:
        """Removes the parametrizations, leaving the snapped weights as plain parameters."""
        for _, module, pname in self.matrices:
            parametrize.remove_parametrizations(module, pname, leave_parametrized=True)
        self.matrices = []


def crew_host_integers(w: np.ndarray) -> np.ndarray:
    """crew-host's per-tensor int8 quantization of a float32 matrix, in its arithmetic
    (f64, s = max|w| / 127, round half away from zero, clamp +-127)."""
    w64 = w.astype(np.float32).astype(np.float64)
    m = np.abs(w64).max()
    s = m / QMAX if m > 0 else 1.0 / QMAX
    x = w64 * (1.0 / s)
    return np.clip(np.sign(x) * np.floor(np.abs(x) + 0.5), -QMAX, QMAX).astype(np.int32)


def check_crew_host_grid(name: str, exported: np.ndarray, intended: np.ndarray, k: int) -> None:
    """Raises when crew-host would quantize `exported` to other integers than `intended`
    or when a column would hold more than k values."""
    got = crew_host_integers(exported)
    if not np.array_equal(got, intended.astype(np.int32)):
        bad = np.argwhere(got != intended)
        o, i = bad[0]
        raise ValueError(f"{name}: crew-host would quantize element ({o}, {i}) to {got[o, i]}, "
                         f"intended {int(intended[o, i])} ({len(bad)} elements differ)")
    most = max(len(np.unique(intended[:, i])) for i in range(intended.shape[1]))
    if most > k:
        raise ValueError(f"{name}: a column holds {most} values, more than K = {k}")
