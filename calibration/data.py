"""Training batches: random tokens made on the device, or the bundled text through bytes.

Random tokens are generated where the model runs, so the measurement sees no input pipeline.
The bundled text (`corpus.txt`, public domain) is read through a byte-level tokenizer
(vocab 256), which is what makes a falling loss meaningful: the model learns English bytes.
"""

from __future__ import annotations

from pathlib import Path

import torch

CORPUS_PATH = Path(__file__).with_name("corpus.txt")
BYTE_VOCAB = 256


def encode(text: str) -> list[int]:
    """Byte-level tokenization: one token per UTF-8 byte."""
    return list(text.encode("utf-8"))


def decode(tokens: list[int]) -> str:
    return bytes(tokens).decode("utf-8", errors="replace")


class Batches:
    """Yields `(inputs, targets)` pairs of shape (batch, seq_len) on `device`."""

    def __init__(
        self, source: str, *, batch: int, seq_len: int, vocab: int, device: torch.device, seed: int = 0
    ):
        if source not in ("random", "text"):
            raise ValueError(f"data source must be 'random' or 'text', got {source!r}")
        self.source, self.batch, self.seq_len, self.device = source, batch, seq_len, device
        self.vocab = vocab
        self.generator = torch.Generator(device=device).manual_seed(seed)
        if source == "text":
            if vocab < BYTE_VOCAB:
                raise ValueError(f"the byte-level text needs vocab >= {BYTE_VOCAB}, got {vocab}")
            data = torch.tensor(encode(CORPUS_PATH.read_text(encoding="utf-8")), dtype=torch.long)
            if len(data) <= seq_len + 1:
                raise ValueError(f"seq_len {seq_len} is longer than the bundled text ({len(data)} bytes)")
            self.data = data.to(device)

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.source == "random":
            tokens = torch.randint(
                self.vocab, (self.batch, self.seq_len + 1), generator=self.generator, device=self.device
            )
        else:
            starts = torch.randint(
                len(self.data) - self.seq_len - 1,
                (self.batch, 1),
                generator=self.generator,
                device=self.device,
            )
            tokens = self.data[starts + torch.arange(self.seq_len + 1, device=self.device)]
        return tokens[:, :-1], tokens[:, 1:]
