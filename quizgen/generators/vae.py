"""Generator for variational autoencoder problems: the KL term, the β-weighted objective, the
reparameterized sample, and the asymmetry of the KL divergence.

The encoder outputs a diagonal Gaussian q(z|x) = N(μ, σ²) per latent dimension, given either as σ
or as the log-variance log σ² (what encoders usually output). The prior is N(0, 1).

Questions (``ask``):

- ``kl-unit``: KL(q ‖ N(0, 1)) summed over the latent dimensions; inputs ``{"ask", "mu",
  "sigma"}`` or ``{"ask", "mu", "logvar"}``.
- ``beta-objective``: the β-VAE objective to maximise, log p(x|z) − β · KL, with the
  reconstruction log-likelihood given; inputs ``{"ask", "recon", "beta", "mu", "sigma"}``.
- ``reparameterize``: z = μ + σ · ε for a given ε, from μ and log σ² (a vector); inputs
  ``{"ask", "mu", "logvar", "eps"}``.
- ``kl-two``: KL(p ‖ q) = E_p[log p − log q], the divergence of p from q, of two one-dimensional Gaussians p = N(μ₁, σ₁²), q = N(μ₂, σ₂²); inputs
  ``{"ask", "p", "q"}`` with ``p = [μ₁, σ₁]``, ``q = [μ₂, σ₂]``.
"""

from __future__ import annotations

import random
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.params import Choice, FloatRange, IntRange, ParamSpec, draw_choice, draw_float, draw_int, draw_on_grid, redraw

VERSION = 1
# Asks whose drawing changed since version 1 (ids of their older versions are refused).
VERSIONS = {"kl-unit": 3, "beta-objective": 2}

INPUT_LABELS: dict[str, str] = {}
"""What learners read for each vector or matrix input, in every face (none is typeset here)."""

ASKS = ("kl-unit", "beta-objective", "reparameterize", "kl-two")
SIGMAS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
BETAS = (0.5, 1.0, 2.0, 4.0, 10.0)

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(options=ASKS, default=("kl-unit",), doc="What to ask for (see the generator's module doc)."),
    "dims": IntRange(default=(1, 3), doc="Latent dimensions.", minimum=1, maximum=8),
    "given": Choice(options=("sigma", "logvar"), default=("sigma", "logvar"), doc="For kl-unit: the encoder's spread as σ or as log σ²."),
    "mu": FloatRange(default=(-2.0, 2.0), doc="Range of the means μ (one decimal).", minimum=-10.0, maximum=10.0),
    "sigma": FloatRange(
        default=(0.25, 3.0), doc=f"Range of the standard deviations σ, drawn from {list(SIGMAS)} within it.", exclusive_minimum=0.0, maximum=10.0
    ),
    "logvar": IntRange(default=(-2, 2), doc="Range of the integer log-variances log σ².", minimum=-6, maximum=6),
    "beta": FloatRange(
        default=(0.5, 10.0),
        doc=f"β, drawn from {list(BETAS)} within the range (1 only when nothing else fits).",
        exclusive_minimum=0.0,
        maximum=100.0,
    ),
    "recon": FloatRange(
        default=(-60.0, -5.0), doc="Range of the reconstruction log-likelihood log p(x|z) (one decimal).", minimum=-1000.0, maximum=0.0
    ),
    "eps": FloatRange(default=(-2.0, 2.0), doc="Range of the noise ε ~ N(0, 1) drawn for the sample (one decimal).", minimum=-5.0, maximum=5.0),
}


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    ask = draw_choice(rng, params["ask"])
    return redraw(lambda: _attempt(ask, params, rng), f"ask={ask!r}, mu={list(params['mu'])}, sigma={list(params['sigma'])}; widen them")


def _attempt(ask: str, params: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    def sigma() -> float:
        return draw_on_grid(rng, SIGMAS, params["sigma"], 2)

    if ask == "kl-two":
        p, q = [draw_float(rng, params["mu"], 1), sigma()], [draw_float(rng, params["mu"], 1), sigma()]
        # Equal spreads make the divergence symmetric: the order would not matter.
        return {"ask": ask, "p": p, "q": q} if p[1] != q[1] else None
    d = draw_int(rng, params["dims"])
    mu = [draw_float(rng, params["mu"], 1) for _ in range(d)]
    if ask == "reparameterize":
        logvar = [draw_int(rng, params["logvar"]) for _ in range(d)]
        eps = [draw_float(rng, params["eps"], 1) for _ in range(d)]
        # σ = 1 everywhere, or no noise at all, would hide the mistakes about σ.
        return {"ask": ask, "mu": mu, "logvar": logvar, "eps": eps} if any(logvar) and any(eps) else None
    given = draw_choice(rng, params["given"]) if ask == "kl-unit" else "sigma"
    spread = [sigma() for _ in range(d)] if given == "sigma" else [draw_int(rng, params["logvar"]) for _ in range(d)]
    neutral = all(s == (1.0 if given == "sigma" else 0) for s in spread)
    if neutral and (ask == "kl-unit" or not any(mu)):
        # q is the prior itself (KL = 0); or, asked for the KL, σ = 1 everywhere: then KL = μ²/2,
        # and the mistakes about σ (log σ² read as log σ, the prior first) give the key too.
        return None
    inputs: dict[str, Any] = {"ask": ask, "mu": mu, given: spread}
    if ask == "beta-objective":
        inputs["recon"] = draw_float(rng, params["recon"], 1)
        # β = 1 is the plain VAE, where the β mistakes give the key: drawn only when nothing else fits.
        lo, hi = params["beta"]
        betas = [b for b in BETAS if b != 1.0 and lo - 1e-9 <= b <= hi + 1e-9] or BETAS
        inputs["beta"] = draw_on_grid(rng, betas, params["beta"], 1)
    return inputs


def _row(values: list[Any]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner.

    >>> print(describe({"ask": "kl-two", "p": [0.5, 1.0], "q": [0.0, 2.0]}))
    p = N(μ₁ = 0.5, σ₁ = 1)
    q = N(μ₂ = 0, σ₂ = 2)
    """
    ask = inputs["ask"]
    if ask == "kl-two":
        (m1, s1), (m2, s2) = inputs["p"], inputs["q"]
        return f"p = N(μ₁ = {m1:g}, σ₁ = {s1:g})\nq = N(μ₂ = {m2:g}, σ₂ = {s2:g})"
    lines = [f"μ = {_row(inputs['mu'])}"]
    if "sigma" in inputs:
        lines.append(f"σ = {_row(inputs['sigma'])}")
    if "logvar" in inputs:
        lines.append(f"log σ² = {_row(inputs['logvar'])}")
    if ask == "reparameterize":
        lines.append(f"ε = {_row(inputs['eps'])}")
    if ask == "beta-objective":
        lines += [f"log p(x|z) = {inputs['recon']:g}", f"β = {inputs['beta']:g}"]
    return "\n".join(lines)


def expected(inputs: dict[str, Any]) -> Answer:
    """A vector for the sample z, else a number; the values are placeholders."""
    return Answer("vector", [0.0] * len(inputs["mu"])) if inputs["ask"] == "reparameterize" else Answer("number", 0.0)
