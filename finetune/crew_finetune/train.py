"""Fine-tuning g2p_en under the CREW constraint, and exporting the result as a model folder
(model.toml + checkpoint) that crew-host compiles."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import g2p
from .constrain import CrewConstraint
from .export import export_npz, write_text


@dataclass
class TrainConfig:
    k: int = 16
    epochs: int = 3
    words_per_epoch: int = 0        # 0 = the whole train split every epoch
    batch: int = 128
    lr: float = 3e-4
    lr_decay: float = 1.0           # learning rate multiplied by this after every epoch
    refit_every: int = 50           # optimizer steps between codebook refits
    validation_words: int = 1000    # first N of the shuffled validation split
    seed: int = 0
    threads: int = 2
    log: list = field(default_factory=list)


def _pairs(words: list[str], truth: dict[str, list[list[str]]], max_len: int):
    return [(w, p) for w in words for p in truth[w] if len(p) < max_len]


def validation_words(split: dict[str, list[str]], n: int, seed: int) -> list[str]:
    words = list(split["validation"])
    random.Random(seed).shuffle(words)
    return sorted(words[:n]) if n else sorted(words)


def finetune(model: g2p.G2P, vocab: g2p.Vocab, truth, split, cfg: TrainConfig,
             say=print) -> tuple[CrewConstraint, dict]:
    """Trains `model` under a K-value column constraint; keeps the epoch with the lowest
    validation WER (validation split only; the test split is never seen). Returns the
    constraint (attached to the model, its state that of the best epoch) and a summary."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    cons = CrewConstraint(model, cfg.k)
    val = validation_words(split, cfg.validation_words, cfg.seed)

    def validate():
        pred = g2p.decode_words(model, val, vocab)
        return g2p.wer_per(pred, {w: truth[w] for w in val})[:2]

    wer0, per0 = validate()
    say(f"K={cfg.k}: before fine-tuning, validation WER {wer0:.4f} PER {per0:.4f} "
        f"on {len(val)} words")
    best = (wer0, per0, 0, {k: v.clone() for k, v in model.state_dict().items()})
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    epochs = []
    step = 0
    for epoch in range(1, cfg.epochs + 1):
        lr = cfg.lr * cfg.lr_decay ** (epoch - 1)
        for group in opt.param_groups:
            group["lr"] = lr
        words = list(split["train"])
        rng.shuffle(words)
        if cfg.words_per_epoch:
            words = words[:cfg.words_per_epoch]
        pairs = _pairs(words, truth, vocab.max_steps)
        rng.shuffle(pairs)
        model.train()
        start = time.monotonic()
        total = 0.0
        for s in range(0, len(pairs), cfg.batch):
            src, src_len, dec_in, target = g2p.batch_pairs(pairs[s:s + cfg.batch], vocab)
            logits = model(src, src_len, dec_in)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            cons.clamp_()
            step += 1
            total += float(loss.detach()) * len(pairs[s:s + cfg.batch])
            if step % cfg.refit_every == 0:
                cons.refit()
                say(f"  step {step}: {s + cfg.batch}/{len(pairs)} pairs, "
                    f"{time.monotonic() - start:.0f} s")
        cons.refit()
        seconds = time.monotonic() - start
        wer, per = validate()
        rec = {"epoch": epoch, "lr": lr, "words": len(words), "pairs": len(pairs),
               "loss": total / max(len(pairs), 1), "seconds": seconds,
               "validation_wer": wer, "validation_per": per}
        epochs.append(rec)
        say(f"K={cfg.k} epoch {epoch}: {len(words)} words ({len(pairs)} pairs) in "
            f"{seconds:.0f} s at lr {lr:.2e}, loss {rec['loss']:.4f}, validation WER {wer:.4f} PER {per:.4f}")
        if wer < best[0]:
            best = (wer, per, epoch, {k: v.clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best[3])
    summary = {"k": cfg.k, "validation_words": len(val), "validation_wer_before": wer0,
               "validation_per_before": per0, "best_epoch": best[2],
               "validation_wer": best[0], "validation_per": best[1], "epochs": epochs,
               "config": {k: v for k, v in cfg.__dict__.items() if k != "log"}}
    return cons, summary


def export_g2p(model: g2p.G2P, cons: CrewConstraint | None, desc: dict, out: Path,
               name: str, header: str) -> Path:
    """Writes OUT/checkpoint.npz (the original tensor names) and OUT/model.toml."""
    export_npz(model, out / "checkpoint.npz", cons,
               rename={p: n for n, p in g2p.TENSORS.items()})
    write_text(out / "model.toml", g2p.write_description(desc, "checkpoint.npz", name, header))
    return out


def write_json(path: Path, value) -> None:
    write_text(path, json.dumps(value, indent=2) + "\n")


def stats_dict(cons: CrewConstraint) -> list[dict]:
    return [s.__dict__ for s in cons.stats()]


__all__ = ["TrainConfig", "finetune", "export_g2p", "np"]
