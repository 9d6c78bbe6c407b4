"""crew-finetune command line: `python -m crew_finetune COMMAND ...` (see docs/finetune.md).

Exit codes as crew-host's: 0 ok, 1 run-time failure (a check that failed), 2 bad model or
input, 3 environment (crew-host or data missing).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from . import g2p
from .train import TrainConfig, export_g2p, finetune, stats_dict, write_json
from .export import write_text

REPO = Path(__file__).resolve().parents[2]


class Failure(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def crew_host(args) -> str:
    exe = args.crew_host or os.environ.get("CREW_HOST") or str(REPO / "target/release/crew-host")
    if not Path(exe).is_file():
        raise Failure(3, f"crew-host not found at {exe}: build it (cargo build --release -p "
                         f"crew-host) or pass --crew-host / set CREW_HOST")
    return exe


def run_crew_host(exe: str, *argv: str) -> str:
    proc = subprocess.run([exe, *argv], capture_output=True, text=True)
    if proc.returncode != 0:
        raise Failure(1 if proc.returncode == 1 else 2,
                      f"crew-host {' '.join(argv)} exited {proc.returncode}: "
                      f"{proc.stderr.strip()}")
    return proc.stdout


def read_dev_words(path: Path) -> dict[str, list[str]]:
    out = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            w, p = line.split("\t", 1)
            out[w.strip()] = p.split()
    return out


# ------------------------------------------------------------------ check-float

def cmd_check_float(args) -> None:
    """PyTorch model vs crew-host's float model: logits of every decoder step."""
    exe = crew_host(args)
    model, vocab, _ = g2p.load_model(args.model)
    model = model.double().eval()
    got = json.loads(run_crew_host(exe, "infer", str(args.model), "--backend", "float",
                                   "--word-list", str(args.words), "--json"))
    worst = 0.0
    same = 0
    tidx = {p: i for i, p in enumerate(vocab.target)}
    with torch.no_grad():
        for r in got:
            src, src_len = g2p.batch_source([r["word"]], vocab)
            # Teacher-forced with crew-host's own tokens, so every step is compared.
            dec_in = [vocab.target_start] + [tidx[p] for p in r["phonemes"]]
            dec_in = dec_in[:len(r["logits"])]
            logits = model(src, src_len, torch.tensor([dec_in]))[0].numpy()
            ref = np.array(r["logits"], dtype=np.float64)
            worst = max(worst, float(np.abs(logits - ref).max()))
            pred = g2p.decode_words(model, [r["word"]], vocab)[r["word"]]
            same += pred == r["phonemes"]
    n = len(got)
    print(f"check-float: {n} words, max |logit difference| {worst:.3e} "
          f"(PyTorch float64 vs crew-host --backend float), phonemes equal on {same}/{n}")
    if worst > args.tolerance or same != n:
        raise Failure(1, f"the PyTorch model differs from crew-host's float model "
                         f"(max {worst:.3e} > {args.tolerance:g} or phonemes differ)")


# ------------------------------------------------------------------ finetune

def load_data(vocab):
    truth = g2p.cmudict_words(vocab)
    return truth, g2p.splits(truth)


def cmd_finetune(args) -> None:
    model, vocab, desc = g2p.load_model(args.model)
    truth, split = load_data(vocab)
    print(f"CMUdict: {len(truth)} letters-only words; train {len(split['train'])}, "
          f"validation {len(split['validation'])}, test {len(split['test'])} (not used)")
    cfg = TrainConfig(k=args.k, epochs=args.epochs, words_per_epoch=args.words_per_epoch,
                      batch=args.batch, lr=args.lr, lr_decay=args.lr_decay, refit_every=args.refit_every,
                      validation_words=args.validation_words, seed=args.seed,
                      threads=args.threads)
    start = time.monotonic()
    cons, summary = finetune(model, vocab, truth, split, cfg, say=lambda m: print(m, flush=True))
    summary["wall_seconds"] = time.monotonic() - start
    summary["stats"] = stats_dict(cons)
    cmd = "python -m crew_finetune " + " ".join(sys.argv[1:])
    header = (f"# {args.name}: {args.model_name_of(args.model)} fine-tuned by crew-finetune with "
              f"at most {args.k} int8 values per input column\n# (per-tensor int8 grid, max|W| "
              f"of each matrix kept). Made by: {cmd}\n")
    export_g2p(model, cons, desc, args.out, args.name, header)
    write_json(args.out / "finetune.json", summary)
    for s in summary["stats"]:
        print(f"  {s['name']:<24} {s['shape'][0]}x{s['shape'][1]}  unique per column mean "
              f"{s['unique_mean']:.1f} max {s['unique_max']}  bits <= {s['bits_max']}")
    print(f"wrote {args.out}/model.toml, checkpoint.npz, finetune.json")


# ------------------------------------------------------------------ evaluate

def eval_rows(pred, truth, dev, words):
    wer, per, n = g2p.wer_per({w: pred[w] for w in words}, truth)
    matches = sum(pred[w] == p for w, p in dev.items())
    return {"wer": wer, "per": per, "test_words": n, "dev_matches": matches,
            "dev_words": len(dev)}


def cmd_evaluate(args) -> None:
    """WER/PER on the whole test split and matches on the dev words for one model folder,
    with the PyTorch float model or crew-host's integer reference."""
    model, vocab, _ = g2p.load_model(args.model)
    truth, split = load_data(vocab)
    words = split[args.split]
    dev = read_dev_words(args.dev_words)
    start = time.monotonic()
    if args.backend == "pytorch":
        torch.set_num_threads(2)
        pred = g2p.decode_words(model, sorted(set(words) | set(dev)), vocab)
    else:
        exe = crew_host(args)
        with tempfile.TemporaryDirectory() as tmp:
            lst = Path(tmp) / "words.tsv"
            lst.write_text("".join(f"{w}\n" for w in sorted(set(words) | set(dev))))
            extra = ["--max-unique", str(args.max_unique)] if args.max_unique else []
            out = run_crew_host(exe, "infer", str(args.model), "--backend", "reference",
                                "--word-list", str(lst), "--json", *extra)
        pred = {r["word"]: r["phonemes"] for r in json.loads(out)}
    row = eval_rows(pred, truth, dev, words)
    row.update({"model": str(args.model), "backend": args.backend, "split": args.split,
                "max_unique": args.max_unique, "seconds": time.monotonic() - start,
                "label": args.label})
    print(f"{args.label}: WER {row['wer']:.4f} PER {row['per']:.4f} on {row['test_words']} "
          f"{args.split} words; dev {row['dev_matches']}/{row['dev_words']} "
          f"({args.backend}, {row['seconds']:.0f} s)")
    if args.json_out:
        write_json(args.json_out, row)


# ------------------------------------------------------------------ report

def cmd_report(args) -> None:
    """docs table and name=value lines from evaluate's JSON rows and finetune.json files."""
    rows = [json.loads(Path(p).read_text()) for p in args.rows]
    lines, table = [], []
    table.append("| model | evaluated with | WER (test) | PER (test) | dev words matching the "
                 "float model |")
    table.append("|---|---|---|---|---|")
    for r in rows:
        key = r["label"]
        how = ("crew-host integer reference" if r["backend"] == "reference"
               else "PyTorch float (snapped weights are exact floats)"
               if r["label"] != "float" else "PyTorch float")
        if r.get("max_unique"):
            how += f", compiled with --max-unique {r['max_unique']}"
        table.append(f"| {key} | {how} | {r['wer']:.4f} | {r['per']:.4f} | "
                     f"{r['dev_matches']}/{r['dev_words']} |")
        lines += [f"{key}.wer={r['wer']:.4f}", f"{key}.per={r['per']:.4f}",
                  f"{key}.dev_matches={r['dev_matches']}", f"{key}.test_words={r['test_words']}",
                  f"{key}.backend={r['backend']}"]
    for p in args.finetune:
        s = json.loads(Path(p).read_text())
        k = s["k"]
        for e in s["epochs"]:
            lines.append(f"finetune_k{k}.epoch{e['epoch']}.seconds={e['seconds']:.1f}")
            lines.append(f"finetune_k{k}.epoch{e['epoch']}.words={e['words']}")
            lines.append(f"finetune_k{k}.epoch{e['epoch']}.validation_wer="
                         f"{e['validation_wer']:.4f}")
        lines.append(f"finetune_k{k}.best_epoch={s['best_epoch']}")
    write_text(args.table, "\n".join(table) + "\n")
    write_text(args.values, "\n".join(lines) + "\n")
    print("\n".join(table))


# ------------------------------------------------------------------ smoke

def cmd_smoke(args) -> None:
    """One tiny training step under the constraint and an export (for CI)."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model, vocab, desc = g2p.load_model(args.model)
    from .constrain import CrewConstraint
    cons = CrewConstraint(model, args.k)
    pairs = [("hello", ["HH", "AH0", "L", "OW1"]), ("world", ["W", "ER1", "L", "D"]),
             ("crew", ["K", "R", "UW1"]), ("board", ["B", "AO1", "R", "D"])]
    src, src_len, dec_in, target = g2p.batch_pairs(pairs, vocab)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    logits = model(src, src_len, dec_in)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                             target.reshape(-1), ignore_index=-100)
    opt.zero_grad()
    loss.backward()
    opt.step()
    cons.clamp_()
    cons.refit()
    moved = sum(not torch.equal(before[n], p) for n, p in model.named_parameters())
    if moved == 0:
        raise Failure(1, "the training step changed no parameter")
    export_g2p(model, cons, desc, args.out, "g2p_smoke",
               f"# crew-finetune smoke test: one step at K={args.k}\n")
    write_json(args.out / "stats.json", stats_dict(cons))
    # What the tests compare crew-host against: the integers trained (per CREW pass) and
    # the PyTorch model's greedy phonemes of the dev words.
    from .export import write_npz
    ints = {}
    with torch.no_grad():
        for name, cb, latent in cons.items():
            ints[g2p.CREW_PASSES[name]] = cb.integers(latent).numpy().astype(np.float32)
    write_npz(args.out / "intended_int8.npz", ints)
    dev = read_dev_words(args.dev_words)
    write_json(args.out / "pytorch_phonemes.json", g2p.decode_words(model, sorted(dev), vocab))
    print(f"smoke: loss {loss.item():.4f}, {moved} parameters moved, exported to {args.out}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="crew_finetune", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)

    def common(p, model=True):
        if model:
            p.add_argument("--model", type=Path, default=REPO / "models/g2p_en",
                           help="g2p model folder (model.toml + checkpoint)")
        p.add_argument("--crew-host", help="crew-host binary (default: CREW_HOST or "
                       "target/release/crew-host)")

    p = sub.add_parser("check-float", help="PyTorch model == crew-host float model")
    common(p)
    p.add_argument("--words", type=Path, default=REPO / "host-driver/tests/data/g2p_dev_words.tsv")
    p.add_argument("--tolerance", type=float, default=1e-5)
    p.set_defaults(func=cmd_check_float)

    p = sub.add_parser("finetune", help="fine-tune under the K-value constraint and export")
    common(p)
    p.add_argument("--k", type=int, default=16)
    p.add_argument("--epochs", type=int, default=3, help="0: export the snapped model as is")
    p.add_argument("--words-per-epoch", type=int, default=0,
                   help="train words drawn per epoch (0 = all)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--lr-decay", type=float, default=1.0,
                   help="multiply the learning rate by this after every epoch")
    p.add_argument("--refit-every", type=int, default=50)
    p.add_argument("--validation-words", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2,
                   help="torch CPU threads (1 avoids OpenMP spinning on a busy machine)")
    p.add_argument("--name", default="g2p_en_k16")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_finetune, model_name_of=lambda m: Path(m).name)

    p = sub.add_parser("evaluate", help="WER/PER on the test split, dev-word matches")
    common(p)
    p.add_argument("--backend", choices=["pytorch", "reference"], default="reference")
    p.add_argument("--max-unique", type=int, default=0,
                   help="reference: compile with crew-host's --max-unique K (k-means, int16)")
    p.add_argument("--split", choices=["test", "validation"], default="test")
    p.add_argument("--dev-words", type=Path,
                   default=REPO / "host-driver/tests/data/g2p_dev_words.tsv")
    p.add_argument("--label", default="model")
    p.add_argument("--json-out", type=Path)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("report", help="docs table and name=value lines from evaluate rows")
    p.add_argument("--rows", nargs="+", required=True)
    p.add_argument("--finetune", nargs="*", default=[])
    p.add_argument("--table", type=Path, required=True)
    p.add_argument("--values", type=Path, required=True)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("smoke", help="one tiny training step and an export (CI)")
    common(p)
    p.add_argument("--k", type=int, default=16)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--dev-words", type=Path,
                   default=REPO / "host-driver/tests/data/g2p_dev_words.tsv")
    p.set_defaults(func=cmd_smoke)

    args = ap.parse_args(argv)
    try:
        args.func(args)
    except Failure as e:
        print(f"error: {e}", file=sys.stderr)
        return e.code
    except (FileNotFoundError, PermissionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except (KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
