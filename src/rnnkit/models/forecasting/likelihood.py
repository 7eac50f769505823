"""Likelihood heads (DeepAR, Salinas et al. 2020): a distribution per forecast step.

The network emits raw parameters ``(..., P)``; :meth:`Likelihood.params` constrains them and
:meth:`Likelihood.log_prob` is the log-density of a target, written out here (the tests check
them against ``torch.distributions``):

* ``gaussian`` (P = 2): mean :math:`\\mu`, scale :math:`\\sigma = \\mathrm{softplus}(s) + 10^{-4}`,

  .. math:: \\log p(y) = -\\log\\sigma - \\tfrac12\\log 2\\pi - \\tfrac12 ((y-\\mu)/\\sigma)^2

* ``student_t`` (P = 3): location, scale and degrees of freedom
  :math:`\\nu = 2 + \\mathrm{softplus}(n)` (a finite variance),

  .. math:: \\log p(y) = \\log\\Gamma(\\tfrac{\\nu+1}{2}) - \\log\\Gamma(\\tfrac{\\nu}{2})
            - \\tfrac12\\log(\\nu\\pi) - \\log\\sigma
            - \\tfrac{\\nu+1}{2}\\log(1 + ((y-\\mu)/\\sigma)^2/\\nu)

* ``negbin`` (P = 2): mean :math:`m = \\mathrm{softplus}(a)` and dispersion
  :math:`\\alpha = \\mathrm{softplus}(b)` of counts, with :math:`r = 1/\\alpha`,
  :math:`p = m / (m + r)`,

  .. math:: \\log p(y) = \\log\\Gamma(y + r) - \\log\\Gamma(y + 1) - \\log\\Gamma(r)
            + r \\log(1 - p) + y \\log p

The location and scale are in the model's normalised space; :meth:`Likelihood.denormalise`
maps them back (affine maps: ``mu * scale + loc`` and ``sigma * scale``; a count model keeps
``loc = 0``). Training minimises the mean negative log-likelihood; forecasting samples paths.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.errors import ConfigError

LIKELIHOODS = {"gaussian": 2, "student_t": 3, "negbin": 2}


class Likelihood:
    """One of :data:`LIKELIHOODS`: parameters, log-density, mean and sampling."""

    def __init__(self, kind: str) -> None:
        if kind not in LIKELIHOODS:
            raise ConfigError(
                f"likelihood must be one of {', '.join(LIKELIHOODS)}, received {kind!r}"
            )
        self.kind, self.size = kind, LIKELIHOODS[kind]

    def params(self, raw: Tensor) -> Tensor:
        """Constrain raw outputs ``(..., P)`` to valid parameters ``(..., P)``."""
        if self.kind == "negbin":
            return torch.stack([F.softplus(raw[..., 0]) + 1e-4, F.softplus(raw[..., 1]) + 1e-4], -1)
        scale = F.softplus(raw[..., 1]) + 1e-4
        parts = [raw[..., 0], scale]
        if self.kind == "student_t":
            parts.append(2.0 + F.softplus(raw[..., 2]))
        return torch.stack(parts, -1)

    def denormalise(self, params: Tensor, loc: Tensor, scale: Tensor) -> Tensor:
        """Parameters in data space from normalised ones (``loc``/``scale`` broadcast)."""
        out = params.clone()
        if self.kind == "negbin":  # counts: the mean scales, the dispersion does not
            out[..., 0] = params[..., 0] * scale
            return out
        out[..., 0] = params[..., 0] * scale + loc
        out[..., 1] = params[..., 1] * scale
        return out

    def log_prob(self, params: Tensor, y: Tensor) -> Tensor:
        """Log-density of ``y`` ``(...)`` under ``params`` ``(..., P)``."""
        if self.kind == "gaussian":
            mu, sigma = params[..., 0], params[..., 1]
            z = (y - mu) / sigma
            return -torch.log(sigma) - 0.5 * math.log(2 * math.pi) - 0.5 * z * z
        if self.kind == "student_t":
            mu, sigma, nu = params[..., 0], params[..., 1], params[..., 2]
            z = (y - mu) / sigma
            return (
                torch.lgamma((nu + 1) / 2)
                - torch.lgamma(nu / 2)
                - 0.5 * torch.log(nu * math.pi)
                - torch.log(sigma)
                - (nu + 1) / 2 * torch.log1p(z * z / nu)
            )
        m, alpha = params[..., 0], params[..., 1]
        r = 1.0 / alpha
        log_p = torch.log(m) - torch.log(m + r)  # p = m / (m + r)
        log_1mp = torch.log(r) - torch.log(m + r)
        return torch.lgamma(y + r) - torch.lgamma(y + 1) - torch.lgamma(r) + r * log_1mp + y * log_p

    def mean(self, params: Tensor) -> Tensor:
        return params[..., 0]

    def sample(self, params: Tensor) -> Tensor:
        """One draw per entry of ``params`` ``(..., P)`` -> ``(...)``, from torch's global
        generator (seed it, e.g. under ``torch.random.fork_rng``, to reproduce draws)."""
        if self.kind == "gaussian":
            return params[..., 0] + params[..., 1] * torch.randn_like(params[..., 0])
        if self.kind == "student_t":
            nu = params[..., 2]
            chi2 = torch.distributions.Chi2(nu).sample()
            eps = torch.randn_like(params[..., 0])
            return params[..., 0] + params[..., 1] * eps * torch.sqrt(nu / chi2)
        m, alpha = params[..., 0], params[..., 1]
        r = 1.0 / alpha
        rate = torch.distributions.Gamma(r, r / m).sample()  # gamma-Poisson mixture, mean m
        return torch.poisson(rate)


__all__ = ["Likelihood", "LIKELIHOODS"]
