"""Checker for variational autoencoder problems.

Sources: Kingma & Welling (2014), "Auto-Encoding Variational Bayes": the reparameterization
z = μ + σ · ε with ε ~ N(0, 1) (section 2.4) and the KL divergence of a diagonal Gaussian from
the unit Gaussian in closed form, −KL = ½ Σ (1 + log σ² − μ² − σ²) (appendix B); Higgins et al.
(2017), "β-VAE": the objective log p(x|z) − β · KL. The values are torch's own:
``torch.distributions.kl_divergence`` of ``Normal`` distributions, and the sample as
``Normal.rsample`` computes it (loc + scale · ε), in float64.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import torch
from torch.distributions import Normal, kl_divergence

from quizgen.core.answer import Misconception, Solution, Step

_F64 = torch.float64

_NO_HALF = ("missing-half", "Left out the factor ½; the KL of a Gaussian from N(0, 1) is ½ Σ (μ² + σ² − 1 − log σ²).")
_LOG_SIGMA = ("log-sigma-not-log-variance", "Used log σ where the formula has log σ² = 2 log σ.")
_SIGMA_AS_VARIANCE = ("sigma-as-variance", "Took the given σ for the variance; σ² is its square.")
_LOGVAR_AS_LOGSIGMA = ("log-variance-as-log-sigma", "Read log σ² as log σ; the variance is exp(log σ²), not exp(2 · log σ²).")
_KL_ADDED = ("kl-added", "Added the KL term; the objective to maximise subtracts it: log p(x|z) − β · KL.")
_BETA_ON_RECON = ("beta-on-reconstruction", "Weighted the reconstruction by β; β multiplies the KL term only.")
_BETA_IGNORED = ("beta-ignored", "Left out β; the β-VAE objective weights the KL term by β.")
_LOGVAR_AS_SIGMA = ("log-variance-as-sigma", "Multiplied ε by log σ² itself; σ = exp(½ · log σ²).")
_NOT_ROOTED = ("variance-not-rooted", "Multiplied ε by the variance exp(log σ²); the noise is scaled by the standard deviation σ = exp(½ · log σ²).")
_PRIOR_FIRST = (
    "prior-first",
    "Computed KL(N(0, 1) ‖ q), the expectation under the prior; the VAE's term is KL(q ‖ N(0, 1)), "
    "the expectation under the encoder's q.",
)
_REVERSED = ("order-reversed", "Computed KL(q ‖ p); the divergence is not symmetric, and KL(p ‖ q) takes the expectation under p.")


def _t(values: Any) -> torch.Tensor:
    return torch.tensor(values, dtype=_F64)


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one VAE problem.

    Example:
        >>> round(solve({"ask": "kl-unit", "mu": [1.0], "sigma": [1.0]}).value, 12)
        0.5
        >>> solve({"ask": "reparameterize", "mu": [1.0], "logvar": [0], "eps": [0.5]}).value
        [1.5]
    """
    ask = inputs.get("ask")
    if ask == "kl-two":
        return _solve_two(inputs)
    if ask == "reparameterize":
        return _solve_sample(inputs)
    return _solve_kl(str(ask), inputs)  # ask in ("kl-unit", "beta-objective") (the registry refused any other)


def _solve_two(inputs: Mapping[str, Any]) -> Solution:
    (m1, s1), (m2, s2) = inputs["p"], inputs["q"]
    p, q = Normal(_t(m1), _t(s1)), Normal(_t(m2), _t(s2))
    key = kl_divergence(p, q).item()
    steps = (
        Step("log(σ₂ / σ₁)", math.log(s2 / s1)),
        Step("(σ₁² + (μ₁ − μ₂)²) / (2 σ₂²)", (s1 * s1 + (m1 - m2) ** 2) / (2 * s2 * s2)),
        Step("KL(p ‖ q) = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½", key),
    )
    return Solution(key, steps, (Misconception(*_REVERSED, kl_divergence(q, p).item()),))


def _solve_sample(inputs: Mapping[str, Any]) -> Solution:
    mu, logvar, eps = _t(inputs["mu"]), _t(inputs["logvar"]), _t(inputs["eps"])
    dist = Normal(mu, torch.exp(0.5 * logvar))
    z = dist.loc + dist.scale * eps  # what rsample computes for this ε
    steps = (Step("σ = exp(½ · log σ²)", dist.scale.tolist()), Step("z = μ + σ · ε", z.tolist()))
    wrong = (
        Misconception(*_LOGVAR_AS_SIGMA, (mu + logvar * eps).tolist()),
        Misconception(*_NOT_ROOTED, (mu + torch.exp(logvar) * eps).tolist()),
    )
    return Solution(z.tolist(), steps, wrong)


def exact_kl(mu: list[float], sigma: list[float]) -> str:
    """KL(N(μ, σ²) ‖ N(0, 1)) summed over the dimensions in closed form, the decimals as exact
    fractions: ½Σ(μ² + σ² − 1) − log Πσ (``23/20 - log(9/10)``).

    >>> exact_kl([0.5, -1.2], [0.6, 1.5])
    '23/20 - log(9/10)'
    """
    m = [Fraction(repr(x)) for x in mu]
    s = [Fraction(repr(x)) for x in sigma]
    half = sum((a * a + b * b - 1 for a, b in zip(m, s)), Fraction(0)) / 2
    product = math.prod(s, start=Fraction(1))
    if product == 1:
        return str(half)
    if half == 0:
        return f"-log({product})"
    return f"{half} - log({product})"


def _solve_kl(ask: str, inputs: Mapping[str, Any]) -> Solution:
    mu = _t(inputs["mu"])
    if "sigma" in inputs:
        sigma = _t(inputs["sigma"])
        wrong_kl = [
            (_LOG_SIGMA, 0.5 * (mu**2 + sigma**2 - 1 - torch.log(sigma)).sum()),
            (_SIGMA_AS_VARIANCE, 0.5 * (mu**2 + sigma - 1 - torch.log(sigma)).sum()),
        ]
    else:
        logvar = _t(inputs["logvar"])
        sigma = torch.exp(0.5 * logvar)
        wrong_kl = [(_LOGVAR_AS_LOGSIGMA, 0.5 * (mu**2 + torch.exp(2 * logvar) - 1 - 2 * logvar).sum())]
    per_dim = kl_divergence(Normal(mu, sigma), Normal(torch.zeros_like(mu), torch.ones_like(mu)))
    kl = per_dim.sum().item()
    steps = [
        Step("σ² per dimension", (sigma**2).tolist()),
        Step("½ (μ² + σ² − 1 − log σ²) per dimension", per_dim.tolist()),
        Step("KL = sum over dimensions", kl, note=f"exactly {exact_kl(inputs['mu'], inputs['sigma'])}" if "sigma" in inputs else ""),
    ]
    if ask == "kl-unit":
        # A mistake about σ changes nothing where σ = 1 in every dimension: it is listed only where it shows.
        reverse = kl_divergence(Normal(torch.zeros_like(mu), torch.ones_like(mu)), Normal(mu, sigma)).sum()
        wrong_kl.append((_PRIOR_FIRST, reverse))
        wrong = [Misconception(*_NO_HALF, 2 * kl)] + [Misconception(*m, v.item()) for m, v in wrong_kl if not math.isclose(v.item(), kl, abs_tol=1e-12)]
        return Solution(kl, tuple(steps), tuple(wrong))
    recon, beta = float(inputs["recon"]), float(inputs["beta"])
    value = recon - beta * kl
    steps.append(Step("log p(x|z) − β · KL", value))
    objective_wrong = [Misconception(*_KL_ADDED, recon + beta * kl)]
    if beta != 1:
        objective_wrong += [Misconception(*_BETA_ON_RECON, beta * recon - kl), Misconception(*_BETA_IGNORED, recon - kl)]
    return Solution(value, tuple(steps), tuple(objective_wrong))
