"""Iteration time, KV-cache capacity and GPU activity of one inference replica.

An iteration (one forward pass of the running batch: `tokens` new tokens of `seqs` sequences,
attending to `attn_ctx` tokens in all and reading `kv_read` tokens of KV cache) takes

    step_s = gemm_s(tokens) + attention_s + elementwise_s(tokens) + allreduce_s(tokens) + cpu_s

- `gemm_s`: the weight GEMMs on one GPU. Compute on the GEMM efficiency curve training uses
  (`simcompute.perf.efficiency`: each GEMM's fixed cost plus its FLOPs at the sustained rate,
  in the format the activations run in), memory = the weights streamed at the decode-GEMM
  bandwidth of the engine (MoE: only the routed experts some token uses, `1 - (1 - k/E)^n`
  of them). The two overlap imperfectly: `max(c, m) + GEMM_OVERLAP_LOSS * min(c, m)`.
- `attention_s`: one fused attention kernel: `max(attention FLOPs at the generation's
  attention efficiency, KV bytes read at the engine's decode-attention bandwidth)`. Prefill
  is compute-bound (quadratic in the prompt), decode reads the paged KV cache.
- `elementwise_s`: norms, residuals, rotary, activation functions (Korthikanti et al. 2022's
  activation bytes per token and layer, written and read once), the KV written, and the fp32
  logits the sampler reads, at the HBM stream bandwidth.
- `allreduce_s`: tensor parallelism all-reduces the activations twice per layer
  (`simcompute.perf.collectives`, NVLink).
- `cpu_s`: the engine's exposed CPU time per iteration (fixed + per sequence + per extra
  tensor-parallel worker), and the launch gaps of an iteration not captured in a CUDA graph.

Precision per part: the weights' bytes set what decode streams and what memory they hold,
the activations' format the tensor-core peak, the KV cache's format its capacity and the
bytes attention reads.

Under a GPU power cap the compute terms stretch by `1/f` at the clock `f` the cap leaves a
compute-bound step, the memory terms by the small memory-bound factor, communication and CPU
time keep their time, and the activity (power) of every step is capped (`simcompute.power.gpu`).

While a decode batch does not change, every term but attention is fixed by the batch size and
attention is linear in the context, so its step times form an arithmetic series (the engine
sums them in closed form).
"""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import Engine, ModelSpec, Node
from simcompute.catalog.precision import KV_BYTES, WEIGHT_BYTES
from simcompute.perf.collectives import Link, all_reduce_alpha_beta
from simcompute.perf.flops import inference_flops_per_token
from simcompute.perf.gemms import layer_gemms
from simcompute.perf.gpu import SimulatedGpu
from simcompute.perf.memory import ACTIVATION_BYTES
from simcompute.units import BYTES_PER_GIB

GEMM_OVERLAP_LOSS = 0.3
"""Share of the shorter of a GEMM's compute and memory time that does not hide behind the
longer one. A roofline `max(c, m)` is only approached far from the ridge; near it a GEMM
reaches ~70-80% of the roofline bound (NVIDIA, 'Matrix Multiplication Background User's
Guide', arithmetic-intensity plots, https://docs.nvidia.com/deeplearning/performance/dl-performance-matrix-multiplication/index.html).
Estimate."""

KORTHIKANTI_BYTES_REPLICATED = 10.0
KORTHIKANTI_BYTES_SHARDED = 24.0
"""Activation bytes per token per hidden unit of one layer's forward pass with tensor
parallelism t: `10 + 24 / t` (Korthikanti et al. 2022, arXiv:2205.05198, Table 2, without the
attention-score terms flash attention never writes); each written once and read once."""

SAMPLER_PASSES = 3
"""Passes of the sampler over a sequence's fp32 logits (softmax, top-k/top-p, draw): estimate
from vLLM's sampler (vllm/v1/sample/sampler.py)."""

LAUNCH_GAP_S = 2.0e-6
"""GPU idle time per kernel launched from the CPU outside a CUDA graph: back-to-back launches of
short kernels leave ~2 us gaps that a graph removes (NVIDIA developer blog, 'Getting Started
with CUDA Graphs', 2019, https://developer.nvidia.com/blog/cuda-graphs/). Estimate."""

KERNELS_PER_LAYER = 12
"""Kernels of one decoder layer in a fused serving engine: norm x2, QKV, rotary + KV write,
attention, O, (all-reduce), gate/up, activation, down, residual adds. Estimate."""

GAP_ACTIVITY = 0.08
"""GPU activity while it waits for the CPU with a context held and clocks up: a CUDA context
adds 26-50 W over bare idle on HBM GPUs (cross-architecture idle study, arXiv:2605.23918),
~0.08 of the dynamic range of an A100/H100. Estimate."""


@dataclass(frozen=True)
class StepModel:
    """One replica's iteration time (see the module docstring) and its power activities.

    GEMMs: compute `c0 + c_tok * tokens + c_head * seqs` (the LM head runs on the last token of
    each sequence only), memory `weights_s(tokens)`. Attention: compute
    `c_ctx * attn_ctx`, memory `m_ctx * kv_read`. Element-wise `m_tok * tokens`, all-reduce
    `k0 + k_tok * tokens`, CPU `cpu0 + cpu_seq * seqs`, and `eager_s` for an iteration outside a
    CUDA graph (`launch_s`). Under a power cap the
    coefficients are already stretched and `max_activity` is the cap's activity.
    """

    c0: float
    c_tok: float
    c_head: float
    c_ctx: float
    m0: float
    m_tok: float
    m_ctx: float
    k0: float
    k_tok: float
    cpu0: float
    cpu_seq: float
    eager_s: float
    graph_max_tokens: int
    max_seqs: int
    compute_activity: float
    memory_activity: float
    communication_activity: float
    expert_s: float = 0.0
    expert_hit: float = 0.0
    max_activity: float = 1.0

    def weights_s(self, tokens: float) -> float:
        """Seconds to read the weights an iteration of `tokens` tokens uses (constant for
        dense models; for MoE the routed experts at least one of the tokens is sent to)."""
        if not self.expert_s:
            return self.m0
        return self.m0 + self.expert_s * (1.0 - (1.0 - self.expert_hit) ** tokens)

    def gemm_s(self, tokens: float, seqs: float) -> float:
        """The weight GEMMs of an iteration: compute and weight reads, imperfectly overlapped."""
        c = self.c0 + self.c_tok * tokens + self.c_head * seqs
        m = self.weights_s(tokens)
        return c + GEMM_OVERLAP_LOSS * m if c > m else m + GEMM_OVERLAP_LOSS * c

    def launch_s(self, tokens: float, seqs: float) -> float:
        """Launch gaps of an iteration run outside a CUDA graph: one with prompt tokens in it
        (engines capture decode batches only) or a decode batch above the captured sizes."""
        return self.eager_s if seqs < tokens or tokens > self.graph_max_tokens else 0.0

    def fixed_s(self, tokens: float, seqs: float) -> float:
        """Everything but attention: GEMMs, element-wise work, all-reduces and CPU time."""
        eager = self.launch_s(tokens, seqs)
        return (
            self.gemm_s(tokens, seqs)
            + self.m_tok * tokens
            + self.k0
            + self.k_tok * tokens
            + self.cpu0
            + self.cpu_seq * seqs
            + eager
        )

    def step_time_s(self, tokens: float, attn_ctx: float, kv_read: float, seqs: float) -> float:
        """Seconds of one iteration of `tokens` tokens of `seqs` sequences (a decode iteration
        has one token per sequence); `fixed_s` plus attention, written out (hot path)."""
        c = self.c0 + self.c_tok * tokens + self.c_head * seqs
        m = self.m0 if not self.expert_s else self.weights_s(tokens)
        t = c + GEMM_OVERLAP_LOSS * m if c > m else m + GEMM_OVERLAP_LOSS * c
        t += (self.m_tok + self.k_tok) * tokens + self.k0 + self.cpu0 + self.cpu_seq * seqs
        if seqs < tokens or tokens > self.graph_max_tokens:
            t += self.eager_s
        attention_c = self.c_ctx * attn_ctx
        attention_m = self.m_ctx * kv_read
        return t + (attention_c if attention_c > attention_m else attention_m)

    def decode_series(self, batch: int) -> tuple[float, float]:
        """A decode iteration of `batch` sequences holding `kv` KV tokens takes
        `fixed + per_token * kv`: returns (fixed, per_token). Attention is the one term that
        depends on the context, and both its bounds are linear in it from 0, so the larger
        coefficient is the bound at every context."""
        per_token = self.c_ctx if self.c_ctx >= self.m_ctx else self.m_ctx
        return self.fixed_s(batch, batch), per_token

    def activity(self, tokens: float) -> float:
        """GPU activity of an iteration of `tokens` tokens (0 idle .. 1 at the power limit), the
        time-weighted mix of its parts: the GEMMs between the memory-bound activity (a decode
        that streams weights, ML.ENERGY measurements) and the compute-bound one by their share
        of compute, element-wise work memory-bound, all-reduces at the communication activity
        and CPU gaps barely above idle. Attention, which grows with the context, is left out;
        an iteration of more tokens than `max_seqs` is taken as a prefill of `max_seqs` sequences
        at most. Under a power cap the activity is at most the cap's (`max_activity`)."""
        seqs = tokens if tokens < self.max_seqs else self.max_seqs
        c = self.c0 + self.c_tok * tokens + self.c_head * seqs
        m = self.weights_s(tokens)
        share = c / m if c < m else 1.0
        gemm_activity = self.memory_activity + (self.compute_activity - self.memory_activity) * share
        gemm = self.gemm_s(tokens, seqs)
        elementwise = self.m_tok * tokens
        comm = self.k0 + self.k_tok * tokens
        cpu = self.cpu0 + self.cpu_seq * seqs + self.launch_s(tokens, seqs)
        busy = (
            gemm * gemm_activity
            + elementwise * self.memory_activity
            + comm * self.communication_activity
            + cpu * GAP_ACTIVITY
        )
        activity = busy / (gemm + elementwise + comm + cpu)
        return activity if activity < self.max_activity else self.max_activity


@dataclass(frozen=True)
class ReplicaPerf:
    """Performance of one replica: its step model, KV-cache capacity and formats."""

    step: StepModel
    weights_bytes: float
    activation_bytes: float
    kv_bytes_per_token: float
    kv_capacity_tokens: int
    compute_precision: str
    kv_cache_dtype: str


def prefill_context(chunk: int, start: int) -> float:
    """Attention context summed over a prompt chunk of `chunk` tokens after `start` earlier ones.

    Token j (0-based) attends to j + 1 tokens (itself and all before it, causal mask).
    """
    return chunk * start + chunk * (chunk + 1) / 2.0


def estimate_replica(
    model: ModelSpec,
    gpu: SimulatedGpu,
    node: Node,
    engine: Engine,
    *,
    tp: int,
    precision: str,
    compute_precision: str,
    kv_cache_dtype: str,
    max_batch_size: int,
    max_batch_tokens: int,
    memory_utilization: float,
    preallocated_seq_len: int | None = None,
) -> ReplicaPerf:
    """The step model and KV capacity of a replica of `model` on `tp` GPUs of one node.

    `precision` is the weights' format, `compute_precision` the tensor-core format of the GEMMs
    (`simcompute.catalog.precision.compute_precision`), `kv_cache_dtype` the KV cache's.
    Efficiencies, activities and the power cap come from `gpu`; CPU overhead, kernel
    bandwidths, KV blocks and how `memory_utilization` applies from `engine`.
    `preallocated_seq_len`: a session that allocates one contiguous KV tensor for
    `max_batch_size` sequences of this many tokens up front (TensorRT-LLM's GptSession without
    paged KV, engine `static_kv_cache: contiguous`) holds exactly that, whatever
    `memory_utilization` says. Raises `ValueError` when the model (or that tensor) does not fit.
    """
    accelerator, power = gpu.accelerator, gpu.power
    hbm = accelerator.hbm_bandwidth_bytes_per_s
    # one GPU's share of the work at its rates (tensor parallelism splits GEMMs, heads, KV)
    flop_rate = accelerator.peak_flops(compute_precision) * gpu.gemm_efficiency(compute_precision)
    attention_peak = accelerator.peak_flops("bf16" if "bf16" in accelerator.peak_tflops else "fp16")
    attention_rate = attention_peak * gpu.attention_efficiency
    weight_rate = hbm * engine.weight_read_bandwidth_efficiency
    kv_rate = hbm * engine.decode_attention_bandwidth_efficiency
    stream_rate = hbm * gpu.memory_efficiency

    flops_per_token = inference_flops_per_token(model, 0)
    flops_per_ctx = inference_flops_per_token(model, 1) - flops_per_token
    head_flops = 2.0 * model.vocab * model.hidden  # logits of a sequence's last token only
    gemms = sum(n * len(layer_gemms(model, 1, 1, kind)) for kind, n in model.layer_kinds) + 1  # + LM head
    # a GEMM's fixed cost is a time (launch, tail): the curve's half size at the 16-bit rate
    gemm_fixed_s = gpu.gemm_half_size_flops / (attention_peak * gpu.gemm_max_efficiency)

    bytes_per_weight = WEIGHT_BYTES[precision]
    weights = model.total_params * bytes_per_weight
    routed = model.moe_layers * model.experts * model.mlp_params_per_expert * bytes_per_weight
    # Each GPU caches the KV heads of its own attention heads; with fewer KV groups than GPUs
    # (MLA: one latent shared by every head) every GPU holds and reads all of them (vLLM
    # replicates KV heads when tp > kv heads: vllm/model_executor/models/deepseek_v2.py
    # DeepseekAttention; Ray Serve docs, 'Data parallel attention': the MLA KV cache cannot be
    # sharded along the head dimension) https://docs.ray.io/en/latest/serve/llm/user-guides/data-parallel-attention.html
    kv_copies = max(1, tp // model.kv_cache_heads)
    kv_per_token = model.kv_cache_bytes_per_token(KV_BYTES[kv_cache_dtype]) * kv_copies
    elementwise_per_token = (
        KORTHIKANTI_BYTES_REPLICATED + KORTHIKANTI_BYTES_SHARDED / tp
    ) * model.hidden * model.layers * 2 + SAMPLER_PASSES * 4.0 * model.vocab

    # two all-reduces of the activations per layer (Megatron-LM), each alpha + beta * bytes
    alpha, beta = all_reduce_alpha_beta(tp, Link.nvlink(node.nvlink_bandwidth_gbps))
    k0, k_tok = 2 * model.layers * alpha, 2 * model.layers * beta * model.hidden * ACTIVATION_BYTES

    # Under a cap: compute terms at the clock of a compute-bound step, memory terms at that of
    # a memory-bound one (factors of 1 without a cap).
    slow_c = power.time_factor("compute", power.compute_activity)
    slow_m = power.time_factor("memory", power.memory_activity)
    step = StepModel(
        c0=gemms * gemm_fixed_s * slow_c,
        c_tok=(flops_per_token - head_flops) / (flop_rate * tp) * slow_c,
        c_head=head_flops / (flop_rate * tp) * slow_c,
        c_ctx=flops_per_ctx / (attention_rate * tp) * slow_c,
        m0=(weights - routed) / (weight_rate * tp) * slow_m,
        m_tok=(elementwise_per_token / stream_rate + kv_per_token / (kv_rate * tp)) * slow_m,
        m_ctx=kv_per_token / (kv_rate * tp) * slow_m,
        k0=k0,
        k_tok=k_tok,
        cpu0=engine.step_overhead_s + engine.tp_step_overhead_s * (tp - 1),
        cpu_seq=engine.seq_overhead_s,
        eager_s=KERNELS_PER_LAYER * model.layers * LAUNCH_GAP_S,
        graph_max_tokens=engine.cuda_graph_max_batch,
        max_seqs=max_batch_size,
        compute_activity=power.compute_activity,
        memory_activity=power.memory_activity,
        communication_activity=power.communication_activity,
        expert_s=routed / (weight_rate * tp) * slow_m,
        expert_hit=model.experts_per_token / model.experts if routed else 0.0,
        max_activity=power.max_activity,
    )
    # Activation peak of vLLM's profiling pass (estimate): one layer's widest intermediates for
    # a full token budget (hidden states x4 and the MLP up-projection), plus fp32 logits.
    up = (2 if model.gated_ffn else 1) * model.ffn_hidden_eff
    activations = (
        max_batch_tokens * (4 * model.hidden + up) * ACTIVATION_BYTES + max_batch_size * model.vocab * 4.0
    )
    memory = accelerator.memory_bytes * tp
    if preallocated_seq_len is not None:
        return ReplicaPerf(
            step=step,
            weights_bytes=weights,
            activation_bytes=activations,
            kv_bytes_per_token=kv_per_token,
            kv_capacity_tokens=_preallocated_kv_tokens(
                max_batch_size,
                preallocated_seq_len,
                kv_per_token,
                weights,
                activations,
                memory,
                tp,
                accelerator.id,
            ),
            compute_precision=compute_precision,
            kv_cache_dtype=kv_cache_dtype,
        )
    if engine.memory_share_of == "free":  # a share of what weights and activations leave
        budget = weights + activations + (memory - weights - activations) * memory_utilization
    else:
        budget = memory * memory_utilization
    # paged KV: each running sequence leaves half a block empty on average (Kwon et al. 2023,
    # PagedAttention, Sec. 4.2: waste is confined to a sequence's last block)
    fragmentation = max_batch_size * (engine.kv_block_tokens - 1) / 2.0 * kv_per_token
    free = budget - weights - activations - fragmentation
    if free < kv_per_token:
        raise ValueError(
            f"{model.name} in {precision} needs {weights / BYTES_PER_GIB:.1f} GiB of weights and "
            f"{activations / BYTES_PER_GIB:.1f} GiB of activations; {tp} x {accelerator.id} at "
            f"{memory_utilization:g} memory utilisation give {budget / BYTES_PER_GIB:.1f} GiB"
        )
    return ReplicaPerf(
        step=step,
        weights_bytes=weights,
        activation_bytes=activations,
        kv_bytes_per_token=kv_per_token,
        kv_capacity_tokens=int(free // kv_per_token),
        compute_precision=compute_precision,
        kv_cache_dtype=kv_cache_dtype,
    )


class SessionTooLarge(ValueError):
    """A static session's preallocated KV cache does not fit (the batch size is too large)."""


def _preallocated_kv_tokens(
    batch: int,
    seq_len: int,
    kv_per_token: float,
    weights: float,
    activations: float,
    memory: float,
    tp: int,
    gpu: str,
) -> int:
    """KV tokens of a contiguous KV tensor of `batch` sequences of `seq_len` tokens, allocated
    up front (TensorRT-LLM docs, 'Memory Usage of TensorRT-LLM': without paged KV the C++
    runtime allocates each layer's KV as [batch size, 2, heads, max seq length, head dim]);
    raises `ValueError` when it does not fit beside the weights and activations."""
    tokens = batch * seq_len
    need = weights + activations + tokens * kv_per_token
    if need > memory:
        raise SessionTooLarge(
            f"a static session's KV cache of {batch} x {seq_len} tokens "
            f"({tokens * kv_per_token / BYTES_PER_GIB:.1f} GiB) and {(weights + activations) / BYTES_PER_GIB:.1f} GiB "
            f"of weights and activations exceed {memory / BYTES_PER_GIB:.1f} GiB; lower it"
        )
    return tokens
