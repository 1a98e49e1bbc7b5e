"""Iteration time, KV-cache capacity and GPU activity of one inference replica.

An iteration (one forward pass of the running batch) takes

    step_s = max(compute_s, memory_s) + allreduce_s

- `compute_s`: FLOPs at a calibrated fraction of dense peak. FLOPs per token come from
  `inference_flops_per_token`: `2 N` for the weights (linear in tokens) plus `4 L H Q` per
  token of attention context (so prefill attention is quadratic in the prompt).
- `memory_s`: bytes read from HBM at a calibrated fraction of its bandwidth: all weights
  once per iteration, plus the KV cache the batch attends to, plus the KV written. Of an
  MoE model's routed experts only those some token of the iteration is routed to are read:
  with uniform, independent routing of `k` of `E` experts a given expert is idle for all
  `n` tokens with probability `(1 - k/E)^n`, so `1 - (1 - k/E)^n` of the routed weights
  are read (all of them for a prefill, `k/E` for a single decode).
- `allreduce_s`: tensor parallelism (Megatron-LM) all-reduces the activations twice per
  layer: the ring all-reduce of `simcompute.perf.collectives` over NVLink.

Under a GPU power cap (`SimulatedGpu.power`) the compute terms stretch by `1/f` at the clock
`f` the cap leaves a compute-bound step, the memory terms by the small memory-bound factor at
the clock of a memory-bound step, the all-reduce keeps its time, and the activity (power) of
every step is capped (`simcompute.power.gpu`). Every term stays linear in (tokens, attention
context, KV read), so while a decode batch stays the same its step times form an arithmetic
series (the engine sums them in closed form).
"""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import ModelSpec, Node
from simcompute.perf.collectives import Link, all_reduce_alpha_beta
from simcompute.perf.flops import inference_flops_per_token
from simcompute.perf.gemms import layer_gemms
from simcompute.perf.gpu import SimulatedGpu
from simcompute.perf.memory import ACTIVATION_BYTES
from simcompute.power.gpu import Phase

WEIGHT_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0}
"""Bytes per weight by precision (fp8/int8: weight-only or W8A8 quantisation, 1 byte each)."""

KV_BYTES_PER_ELEMENT = 2.0
"""KV cache in 16-bit (vLLM's default `kv_cache_dtype=auto` keeps the model's bf16/fp16)."""


@dataclass(frozen=True)
class StepModel:
    """Linear coefficients of one replica's iteration time, and its power activities.

    compute_s = c0 + c_tok * tokens + c_ctx * attn_ctx
    memory_s  = weights_s(tokens) + m_tok * tokens + m_ctx * kv_read
    comm_s    = k0 + k_tok * tokens            (0 without tensor parallelism)
    `tokens` are the tokens processed in the iteration, `attn_ctx` the sum over them of the
    tokens each attends to, `kv_read` the KV-cache tokens read from HBM. `weights_s` is `m0`
    plus, for MoE models, the read time of the routed experts the tokens use (`expert_s` for
    all of them, `expert_hit` = the chance that a token uses a given one). Under a power cap
    the coefficients are already stretched and `max_activity` is the cap's activity.
    """

    c0: float
    c_tok: float
    c_ctx: float
    m0: float
    m_tok: float
    m_ctx: float
    k0: float
    k_tok: float
    ridge_tokens: float
    compute_activity: float
    memory_activity: float
    expert_s: float = 0.0
    expert_hit: float = 0.0
    max_activity: float = 1.0

    def weights_s(self, tokens: float) -> float:
        """Seconds to read the weights an iteration of `tokens` tokens uses (constant for
        dense models; for MoE the routed experts at least one of the tokens is sent to)."""
        if not self.expert_s:
            return self.m0
        return self.m0 + self.expert_s * (1.0 - (1.0 - self.expert_hit) ** tokens)

    def step_time_s(self, tokens: float, attn_ctx: float, kv_read: float) -> float:
        compute = self.c0 + self.c_tok * tokens + self.c_ctx * attn_ctx
        memory = (self.m0 if not self.expert_s else self.weights_s(tokens)) + self.m_tok * tokens
        memory += self.m_ctx * kv_read
        comm = self.k0 + self.k_tok * tokens
        return (compute if compute > memory else memory) + comm

    def activity(self, tokens: float) -> float:
        """GPU activity of an iteration of `tokens` tokens (0 idle .. 1 at the power limit).

        Interpolates from the memory-bound activity to the compute-bound one by the share of
        the weight GEMMs' compute time in their memory time, `min(1, tokens / ridge_tokens)`:
        a batch-1 decode step draws the measured decode power (ML.ENERGY v1, generations.yaml
        `decode_activity`), power rises with batch size (ML.ENERGY leaderboard: J/token falls
        and W rises with batch), and a step at or past the roofline ridge draws
        compute-bound power (`training_activity`). The interpolation is this model's
        assumption; a calibration profile's `memory_activity`/`compute_activity` replace the
        end points. Under a power cap the activity is at most the cap's (`max_activity`).
        """
        share = tokens / self.ridge_tokens
        if share > 1.0:
            share = 1.0
        activity = self.memory_activity + (self.compute_activity - self.memory_activity) * share
        return activity if activity < self.max_activity else self.max_activity

    def phase(self, tokens: float, attn_ctx: float, kv_read: float) -> Phase:
        """One iteration as a `Phase` (bound: whichever of compute and memory is longer)."""
        compute = self.c0 + self.c_tok * tokens + self.c_ctx * attn_ctx
        memory = self.weights_s(tokens) + self.m_tok * tokens + self.m_ctx * kv_read
        return Phase(
            "prefill" if tokens > 1 and attn_ctx > kv_read else "decode",
            self.step_time_s(tokens, attn_ctx, kv_read),
            self.activity(tokens),
            "compute" if compute >= memory else "memory",
        )


@dataclass(frozen=True)
class ReplicaPerf:
    """Performance of one replica: its step model and KV-cache capacity."""

    step: StepModel
    weights_bytes: float
    activation_bytes: float
    kv_bytes_per_token: float
    kv_capacity_tokens: int


def prefill_context(chunk: int, start: int) -> float:
    """Attention context summed over a prompt chunk of `chunk` tokens after `start` earlier ones.

    Token j (0-based) attends to j + 1 tokens (itself and all before it, causal mask).
    """
    return chunk * start + chunk * (chunk + 1) / 2.0


def estimate_replica(
    model: ModelSpec,
    gpu: SimulatedGpu,
    node: Node,
    *,
    tp: int,
    precision: str,
    max_batch_size: int,
    max_batch_tokens: int,
    memory_utilization: float,
) -> ReplicaPerf:
    """The step model and KV capacity of a replica of `model` on `tp` GPUs of one node.

    Efficiencies, activities and the power cap come from `gpu` (catalog values or a
    calibration profile's); a measured per-GEMM fixed cost adds to every step (see
    `simcompute.perf.efficiency`). Raises `ValueError` when the precision has no peak on this
    GPU or the model does not fit.
    """
    accelerator, power = gpu.accelerator, gpu.power
    peak = accelerator.peak_flops(precision) * tp
    flop_rate = peak * gpu.gemm_max_efficiency
    byte_rate = accelerator.hbm_bandwidth_bytes_per_s * tp * gpu.memory_efficiency

    flops_per_token = inference_flops_per_token(model, 0)
    flops_per_ctx = inference_flops_per_token(model, 1) - flops_per_token
    gemms = sum(n * len(layer_gemms(model, 1, 1, kind)) for kind, n in model.layer_kinds) + 1  # + LM head
    half_size = gpu.measured_gemm_half_size_flops
    c0 = gemms * half_size / (flop_rate / tp) if half_size is not None else 0.0

    bytes_per_weight = WEIGHT_BYTES[precision]
    weights = model.total_params * bytes_per_weight
    routed = model.moe_layers * model.experts * model.mlp_params_per_expert * bytes_per_weight
    # Each GPU caches the KV heads of its own attention heads; with fewer KV groups than GPUs
    # (MLA: one latent shared by every head) every GPU holds and reads all of them (vLLM
    # replicates KV heads when tp > kv heads: vllm/model_executor/models/deepseek_v2.py
    # DeepseekAttention; Ray Serve docs, 'Data parallel attention': the MLA KV cache cannot be
    # sharded along the head dimension) https://docs.ray.io/en/latest/serve/llm/user-guides/data-parallel-attention.html
    kv_copies = max(1, tp // model.kv_cache_heads)
    kv_per_token = model.kv_cache_bytes_per_token(KV_BYTES_PER_ELEMENT) * kv_copies

    # two all-reduces of the activations per layer (Megatron-LM), each alpha + beta * bytes
    alpha, beta = all_reduce_alpha_beta(tp, Link.nvlink(node.nvlink_bandwidth_gbps))
    k0, k_tok = 2 * model.layers * alpha, 2 * model.layers * beta * model.hidden * ACTIVATION_BYTES

    # Under a cap: compute terms at the clock of a compute-bound step, memory terms at that of
    # a memory-bound one (factors of 1 without a cap).
    slow_c = power.time_factor("compute", power.compute_activity)
    slow_m = power.time_factor("memory", power.memory_activity)
    # Roofline ridge of the weight GEMMs: 2 N tokens / flop_rate == weights / byte_rate.
    ridge = weights / byte_rate * flop_rate / flops_per_token
    step = StepModel(
        c0=c0 * slow_c,
        c_tok=flops_per_token / flop_rate * slow_c,
        c_ctx=flops_per_ctx / flop_rate * slow_c,
        m0=(weights - routed) / byte_rate * slow_m,
        m_tok=kv_per_token / byte_rate * slow_m,
        m_ctx=kv_per_token / byte_rate * slow_m,
        k0=k0,
        k_tok=k_tok,
        ridge_tokens=ridge,
        compute_activity=power.compute_activity,
        memory_activity=power.memory_activity,
        expert_s=routed / byte_rate * slow_m,
        expert_hit=model.experts_per_token / model.experts if routed else 0.0,
        max_activity=power.max_activity,
    )
    # Activation peak of vLLM's profiling pass (estimate): one layer's widest intermediates for
    # a full token budget (hidden states x4 and the MLP up-projection), plus fp32 logits.
    up = (2 if model.gated_ffn else 1) * model.ffn_hidden_eff
    activations = (
        max_batch_tokens * (4 * model.hidden + up) * ACTIVATION_BYTES + max_batch_size * model.vocab * 4.0
    )
    budget = accelerator.memory_bytes * tp * memory_utilization
    free = budget - weights - activations
    if free < kv_per_token:
        raise ValueError(
            f"{model.name} in {precision} needs {weights / 1e9:.1f} GB of weights and "
            f"{activations / 1e9:.1f} GB of activations; {tp} x {accelerator.id} at "
            f"{memory_utilization:g} memory utilisation give {budget / 1e9:.1f} GB"
        )
    return ReplicaPerf(
        step=step,
        weights_bytes=weights,
        activation_bytes=activations,
        kv_bytes_per_token=kv_per_token,
        kv_capacity_tokens=int(free // kv_per_token),
    )
