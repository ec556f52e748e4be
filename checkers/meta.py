"""Shape arithmetic on meta tensors that stays in torch's C++ rules.

Meta tensors (``device="meta"``) carry sizes and strides but no data, so torch itself decides
every shape and every failure of a shape chain, however large. A few ops on them (add, matmul,
softmax) run torch's Python reference implementations instead: the first call imports machinery
costing 0.3-1.3 s (torch's symbolic shapes, sympy, its compiler) and later calls take 10-150 us,
a cost grading pays again in every run. The same op on uninitialised CPU tensors with identical
sizes and strides gives the same output sizes and layout (which matters when a view follows), in
microseconds for small outputs and a few milliseconds at 16M elements, so operands whose work
stays under ``CPU_LIMIT`` elements take that path (every shipped template's largest draw does:
attention scores of 32 x 16 x 128 x 128); only huge ones, from a course's own ranges, stay on
meta. The stand-ins are int8 where the op takes integers, because float matmul
on small odd shapes goes through BLAS set-up that costs ~0.5 ms per call and integer matmul does
not, and the stand-in's work is a pass over the output: int8 moves a quarter of int32's bytes
(measured 5-15x faster for outputs of 0.1-4M elements). Softmax, a float op, takes float16
stand-ins (2-3x faster than float32). The sizes, strides and errors do not depend on the dtype.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

META = torch.device("meta")
CPU_LIMIT = 1 << 24


def _broadcast_bound(sa: torch.Size, sb: torch.Size) -> int:
    """The product of the larger size at each right-aligned position (>= the broadcast size)."""
    out = 1
    for i in range(1, max(len(sa), len(sb)) + 1):
        out *= max(sa[-i] if i <= len(sa) else 1, sb[-i] if i <= len(sb) else 1)
    return out


def _on_cpu(fn: Callable[..., torch.Tensor], work: int, *operands: torch.Tensor, dtype: torch.dtype = torch.int8) -> torch.Tensor:
    """``fn(*operands)`` for meta tensors, computed on CPU stand-ins unless the work would be large."""
    if max(work, *(t.numel() for t in operands)) > CPU_LIMIT:
        return fn(*operands)
    out = fn(*(torch.empty_strided(t.shape, t.stride(), dtype=dtype) for t in operands))
    return torch.empty_strided(out.shape, out.stride(), device=META)


def add(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a + b`` of two meta tensors (broadcasting, or torch's error)."""
    return _on_cpu(torch.add, _broadcast_bound(a.shape, b.shape), a, b)


def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` of two meta tensors (batch broadcasting, 1-d promotion, or torch's error)."""
    sa, sb = a.shape, b.shape
    if sa and sb and sa[-1] == (sb[-2] if len(sb) >= 2 else sb[0]):
        # The inner sizes only have to agree: cut both to 1 (views, the same strides) and the
        # result has the same sizes and layout for a fraction of the work.
        a, b = a[..., :1], (b[..., :1, :] if len(sb) >= 2 else b[:1])
    rows = sa[-2] if len(sa) >= 2 else 1
    cols = sb[-1] if len(sb) >= 2 else 1
    return _on_cpu(torch.matmul, _broadcast_bound(sa[:-2], sb[:-2]) * rows * cols, a, b)


def softmax(t: torch.Tensor, dim: int) -> torch.Tensor:
    """``t.softmax(dim)`` of a meta tensor (a float op: float16 stand-ins)."""
    return _on_cpu(lambda x: x.softmax(dim=dim), t.numel(), t, dtype=torch.float16)
