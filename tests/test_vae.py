"""Tests of the vae family: generator, and checker against the closed forms in numpy and against
Normal.rsample with a fixed ε."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
import torch
from conftest import agree, solver

import checkers.vae
from quizgen import generators
from quizgen.core.params import resolve
from quizgen.generators import vae

solve = solver("vae")


# ---------------------------------------------------------------- independent reference


def _sigma(inputs: dict[str, Any]) -> np.ndarray:
    if "sigma" in inputs:
        return np.array(inputs["sigma"], dtype=float)
    return np.exp(0.5 * np.array(inputs["logvar"], dtype=float))


def _kl(mu: np.ndarray, sigma: np.ndarray, half: float = 0.5) -> float:
    return float(half * np.sum(mu**2 + sigma**2 - 1 - np.log(sigma**2)))


def _kl_two(p: list[float], q: list[float]) -> float:
    (m1, s1), (m2, s2) = p, q
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def reference(inputs: dict[str, Any]) -> Any:
    """The closed forms of Kingma & Welling (appendix B) in numpy."""
    ask = inputs["ask"]
    if ask == "kl-two":
        return _kl_two(inputs["p"], inputs["q"])
    mu = np.array(inputs["mu"], dtype=float)
    if ask == "reparameterize":
        return (mu + _sigma(inputs) * np.array(inputs["eps"], dtype=float)).tolist()
    kl = _kl(mu, _sigma(inputs))
    return kl if ask == "kl-unit" else inputs["recon"] - inputs["beta"] * kl


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    ask = inputs["ask"]
    if ask == "kl-two":
        return {"order-reversed": _kl_two(inputs["q"], inputs["p"])}
    mu = np.array(inputs["mu"], dtype=float)
    if ask == "reparameterize":
        lv, eps = np.array(inputs["logvar"], dtype=float), np.array(inputs["eps"], dtype=float)
        return {"log-variance-as-sigma": (mu + lv * eps).tolist(), "variance-not-rooted": (mu + np.exp(lv) * eps).tolist()}
    kl = _kl(mu, _sigma(inputs))
    if ask == "beta-objective":
        r, b = inputs["recon"], inputs["beta"]
        return {"kl-added": r + b * kl, "beta-on-reconstruction": b * r - kl, "beta-ignored": r - kl}
    out = {"missing-half": 2 * kl, "prior-first": sum(_kl_two([0.0, 1.0], [m, sd]) for m, sd in zip(mu, _sigma(inputs)))}
    if "sigma" in inputs:
        s = np.array(inputs["sigma"], dtype=float)
        out["log-sigma-not-log-variance"] = float(0.5 * np.sum(mu**2 + s**2 - 1 - np.log(s)))
        out["sigma-as-variance"] = float(0.5 * np.sum(mu**2 + s - 1 - np.log(s)))
    else:
        lv = np.array(inputs["logvar"], dtype=float)
        out["log-variance-as-log-sigma"] = float(0.5 * np.sum(mu**2 + np.exp(2 * lv) - 1 - 2 * lv))
    return out


CONFIGS: dict[str, list[dict[str, Any]]] = {
    "kl-unit": [{}, {"dims": [1, 8], "mu": [-10, 10], "sigma": [0.01, 10], "logvar": [-6, 6]}, {"dims": 1, "mu": [0, 0.5]}],
    "beta-objective": [{}, {"dims": [1, 8], "mu": [-10, 10], "beta": [0.1, 100], "recon": [-1000, 0]}],
    "reparameterize": [{}, {"dims": [1, 8], "mu": [-10, 10], "logvar": [-6, 6], "eps": [-5, 5]}],
    "kl-two": [{}, {"mu": [-10, 10], "sigma": [0.01, 10]}],
}
N_PER_ASK = 400  # beyond the shipped templates, which test_references draws 1,000 times each


def _inputs(ask: str, seed: int) -> dict[str, Any]:
    configs = CONFIGS[ask]
    return vae.draw(resolve(vae.PARAMS, {"ask": ask, **configs[seed % len(configs)]}), random.Random(seed))


VARIANTS = [_inputs(ask, seed) for ask in vae.ASKS for seed in range(N_PER_ASK)]


def test_sample_is_what_rsample_draws_for_that_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Normal.rsample with its standard-normal draw replaced by the problem's ε."""
    import torch.distributions.normal as normal

    for inputs in [i for i in VARIANTS if i["ask"] == "reparameterize"][:200]:
        eps = torch.tensor(inputs["eps"], dtype=torch.float64)
        monkeypatch.setattr(normal, "_standard_normal", lambda shape, dtype, device, eps=eps: eps.clone())
        mu, logvar = torch.tensor(inputs["mu"], dtype=torch.float64), torch.tensor(inputs["logvar"], dtype=torch.float64)
        z = torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).rsample()
        assert agree(solve(inputs).answer.value, z.tolist())


def test_mistakes_are_listed_where_they_show() -> None:
    for inputs in VARIANTS:
        sol = solve(inputs)
        expected = mistakes(inputs)
        names = {m.name for m in sol.misconceptions}
        if inputs["ask"] == "beta-objective":
            assert ("beta-ignored" in names) == (inputs["beta"] != 1)
            assert inputs["beta"] != 1  # the plain VAE: drawn only when the range holds nothing else
        if inputs["ask"] == "kl-unit":
            assert "prior-first" in names or math.isclose(expected["prior-first"], sol.answer.value, abs_tol=1e-12)
        if inputs["ask"] == "kl-unit" and "sigma" in inputs:
            assert ("sigma-as-variance" in names) == any(s != 1 for s in inputs["sigma"])


KNOWN = [
    ({"ask": "kl-unit", "mu": [0.0], "sigma": [1.0]}, 0.0),  # the prior itself
    ({"ask": "kl-unit", "mu": [1.0], "sigma": [1.0]}, 0.5),
    ({"ask": "kl-unit", "mu": [0.0, 0.0], "logvar": [0, 0]}, 0.0),
    ({"ask": "kl-unit", "mu": [0.0], "sigma": [2.0]}, 0.5 * (4 - 1 - math.log(4))),
    ({"ask": "beta-objective", "mu": [1.0], "sigma": [1.0], "recon": -10.0, "beta": 4.0}, -12.0),
    ({"ask": "reparameterize", "mu": [1.0, -1.0], "logvar": [0, 2], "eps": [0.5, 1.0]}, [1.5, -1.0 + math.e]),
    ({"ask": "kl-two", "p": [0.0, 1.0], "q": [0.0, 2.0]}, math.log(2) + 1 / 8 - 0.5),
    ({"ask": "kl-two", "p": [0.0, 2.0], "q": [0.0, 1.0]}, -math.log(2) + 2 - 0.5),
]


@pytest.mark.parametrize("inputs, answer", KNOWN)
def test_known_values(inputs: dict[str, Any], answer: Any) -> None:
    assert agree(checkers.vae.solve(inputs).value, answer)


def test_draws_are_avoid_degenerate_cases() -> None:
    for inputs in VARIANTS:
        ask = inputs["ask"]
        if ask == "kl-two":
            assert inputs["p"][1] != inputs["q"][1] and inputs["p"][1] > 0 and inputs["q"][1] > 0
        if ask == "reparameterize":
            assert any(inputs["logvar"]) and any(inputs["eps"])
        if ask in ("kl-unit", "beta-objective") and "sigma" in inputs:
            assert all(s > 0 for s in inputs["sigma"])
        if ask == "kl-unit":  # σ = 1 everywhere: KL = μ²/2, and the mistakes about σ give the key
            assert any(s != 1 for s in inputs["sigma"]) if "sigma" in inputs else any(inputs["logvar"]), inputs
        kind = generators.expected("vae", inputs).kind
        assert kind == ("vector" if ask == "reparameterize" else "number")
