"""The end of a run in TensorBoard: the final test metrics as scalars and the run's
hyper-parameters with its final metrics (TensorBoard's HPARAMS tab compares runs by them).

The training loop writes the curves (``train/*``, ``val/*``) as it goes; this is written once,
after training, by the caller that writes the report (:func:`rnnkit.api.runs.train_run`).
"""

from __future__ import annotations

import math
from pathlib import Path

from rnnkit.config import Config


def hparams(config: Config) -> dict[str, int | float | str | bool]:
    """The config flattened to ``section.key`` -> a scalar (lists as text, None as "")."""
    out: dict[str, int | float | str | bool] = {"task": config.task}
    for section, values in config.to_dict().items():
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            if value is None:
                value = ""
            elif not isinstance(value, (int, float, str, bool)):
                value = str(value)
            out[f"{section}.{key}"] = value
    return out


def write_final(run_dir: str | Path, config: Config, metrics: dict) -> None:
    """Append ``test/<metric>`` scalars (at the last step) and the hyper-parameters with the
    final ``val_*``/``test_*`` metrics to the run's ``tb/`` folder."""
    from torch.utils.tensorboard import SummaryWriter

    final = {
        k: float(v)
        for k, v in metrics.items()
        if k.startswith(("val_", "test_"))
        and isinstance(v, (int, float))
        and not isinstance(v, bool)
        and math.isfinite(v)
    }
    step = int(metrics.get("step", 0))
    writer = SummaryWriter(str(Path(run_dir) / "tb"))
    try:
        for key, value in final.items():
            if key.startswith("test_"):
                writer.add_scalar(f"test/{key[5:]}", value, step)
        writer.add_hparams(
            hparams(config), {f"final/{k}": v for k, v in final.items()}, run_name="."
        )
    finally:
        writer.close()


__all__ = ["hparams", "write_final"]
