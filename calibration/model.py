"""A GPT-style decoder in plain PyTorch (nanoGPT layout), with an optional KV cache.

Pre-norm blocks of causal self-attention and a 4x GELU MLP, learned positional embeddings and
an untied LM head. Linear layers have no bias, so the weights in matrix multiplies are exactly
the ones `simcompute.catalog.ModelSpec` counts (`to_model_spec`), and the simulator's FLOPs
formula and GEMM shapes describe this model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from calibration.config import GPTConfig

__all__ = ["GPT", "GPTConfig", "KVCache"]


KVCache = list[tuple[torch.Tensor, torch.Tensor]]


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.heads = cfg.heads
        self.qkv = nn.Linear(cfg.hidden, 3 * cfg.hidden, bias=False)
        self.proj = nn.Linear(cfg.hidden, cfg.hidden, bias=False)

    def forward(
        self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None, pos: int
    ) -> torch.Tensor:
        b, t, h = x.shape
        q, k, v = self.qkv(x).split(h, dim=2)
        q, k, v = (z.view(b, t, self.heads, h // self.heads).transpose(1, 2) for z in (q, k, v))
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            k_cache, v_cache = cache
            k_cache[:b, :, pos : pos + t] = k
            v_cache[:b, :, pos : pos + t] = v
            k_all, v_all = k_cache[:b, :, : pos + t], v_cache[:b, :, : pos + t]
            if t == 1:  # decode: the new token attends to everything before it
                y = F.scaled_dot_product_attention(q, k_all, v_all)
            elif pos == 0:  # prefill into an empty cache
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                mask = torch.ones(t, pos + t, dtype=torch.bool, device=x.device).tril(pos)
                y = F.scaled_dot_product_attention(q, k_all, v_all, attn_mask=mask)
        return self.proj(y.transpose(1, 2).reshape(b, t, h))


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.hidden, bias=False)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.hidden, bias=False)
        self.up = nn.Linear(cfg.hidden, 4 * cfg.hidden, bias=False)
        self.down = nn.Linear(4 * cfg.hidden, cfg.hidden, bias=False)

    def forward(
        self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None = None, pos: int = 0
    ) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), cache, pos)
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class GPT(nn.Module):
    """Decoder-only language model; `forward(idx, targets)` returns (logits, loss)."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab, cfg.hidden)
        self.pos_emb = nn.Embedding(cfg.seq_len, cfg.hidden)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.ln_f = nn.LayerNorm(cfg.hidden, bias=False)
        self.head = nn.Linear(cfg.hidden, cfg.vocab, bias=False)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2 scaled init of residual projections
            if name.endswith(("proj.weight", "down.weight")):
                nn.init.normal_(p, mean=0.0, std=0.02 / (2 * cfg.layers) ** 0.5)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        cache: KVCache | None = None,
        pos: int = 0,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        t = idx.shape[1]
        if pos + t > self.cfg.seq_len:
            raise ValueError(f"sequence of {pos + t} tokens exceeds seq_len {self.cfg.seq_len}")
        positions = torch.arange(pos, pos + t, device=idx.device)
        x = self.tok_emb(idx) + self.pos_emb(positions)
        for i, block in enumerate(self.blocks):
            x = block(x, None if cache is None else cache[i], pos)
        logits = self.head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.reshape(-1))
        return logits, loss

    def new_cache(self, batch: int, dtype: torch.dtype, device: torch.device | str) -> KVCache:
        """An empty KV cache for `batch` sequences of up to `seq_len` tokens."""
        shape = (batch, self.cfg.heads, self.cfg.seq_len, self.cfg.hidden // self.cfg.heads)
        return [
            (torch.zeros(shape, dtype=dtype, device=device), torch.zeros(shape, dtype=dtype, device=device))
            for _ in self.blocks
        ]
