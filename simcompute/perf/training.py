"""Training step time, throughput, MFU and memory from the model and its parallel layout.

The estimate is a sequence of phases per step, each with its duration, GPU activity and
bound, so the power model can follow compute, memory-bound work, communication and pipeline
bubbles. `estimate_training` without a `system` keeps the v0 model (a given fraction of
peak); with a `TrainingSystem` and a `Layout` it builds the step from its parts:

- GEMMs of every layer per GPU (`layer_gemms`, `head_gemm`) at the efficiency of their size
  (`gemm_efficiency`), forward + 2x for the backward pass (MoE: routed experts spread over
  ep, shared experts on every token; a stage that holds dense and MoE layers, as with
  DeepSeek-V3's first dense layers and pp = 1, costs their per-layer mean times its layers,
  all-to-alls counted for its MoE layers only; MTP modules run on the last stage as one more
  layer each plus a projection and another LM-head pass, work outside the model FLOPs);
  attention score/value products at
  the generation's attention efficiency (fused flash attention) or, for `standard` attention,
  as two batched GEMMs over the full s x s score matrix plus the HBM traffic of that matrix
  (scores, softmax, dropout); element-wise work as memory traffic;
- activation recompute (full: one more forward; selective: the attention core again);
- tensor-parallel all-reduces (or RS+AG with sequence parallelism, same bytes) on NVLink,
  expert all-to-alls, pipeline sends, data-parallel gradient reduction (ZeRO variants)
  overlapped with the backward pass up to `dp_overlap_fraction` (module `collectives`);
- the 1F1B pipeline bubble `(pp-1)/v` microbatch times (`(pp-1)/(m+pp-1)` of the step);
- the optimizer step as memory traffic over the local optimizer shard.
"""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import Accelerator, LayerKind, ModelSpec
from simcompute.catalog.precision import LOW_PRECISION_COMPUTE
from simcompute.perf.collectives import (
    Link,
    all_gather_s,
    all_reduce_s,
    all_to_all_s,
    p2p_s,
    reduce_scatter_s,
)
from simcompute.perf.efficiency import gemm_time_s
from simcompute.perf.flops import attention_forward_flops, training_flops_per_token
from simcompute.perf.gemms import head_gemm, layer_gemms, mtp_projection_gemm
from simcompute.perf.layout import Layout, layers_per_stage, stage_layer_kinds
from simcompute.perf.memory import ACTIVATION_BYTES, MemoryBreakdown, stage_params, training_memory
from simcompute.power.gpu import GpuPowerModel, Phase

# Element-wise traffic (layer norms, dropout, activation functions, residual adds), bytes per
# token per hidden unit per layer, forward + backward: Korthikanti et al. 2022 (arXiv:
# 2205.05198, Sec. 4.1) count 34 bytes of activations written per token per hidden unit
# (without the attention-score terms flash attention never writes). Each is written and read
# once in the forward pass, read again in the backward pass, whose gradient of the same size
# is written and read: 2 x 34 bytes forward, 3 x 34 backward, at HBM speed.
ELEMENTWISE_FORWARD_BYTES = 2 * 34.0
ELEMENTWISE_BACKWARD_BYTES = 3 * 34.0
# Adam step in mixed precision, bytes per local parameter: read fp32 master, m, v and the
# 16-bit gradient (4+4+4+2), write master, m, v and the 16-bit weight (4+4+4+2) (ZeRO paper,
# Rajbhandari et al. 2020, Sec. 3.1 state sizes).
OPTIMIZER_BYTES_PER_PARAM = 28.0
# A causal mask leaves half of the score/value products to compute; PaLM's 12 L H Q T model
# FLOPs count all of them (Chowdhery et al. 2022, app. B), kernels skip the masked half.
CAUSAL_FRACTION = 0.5
# Standard (unfused) attention writes the s x s score matrix of every head to HBM. Korthikanti
# et al. 2022 (arXiv:2205.05198, Sec. 4.1) list what it stores per score element: QK^T output
# (2 bytes), softmax output (2), dropout mask (1) and dropout output (2). HBM bytes moved per
# score element, with Megatron's fused scale-mask-softmax: forward = write QK^T 2 + softmax
# read 2 / write 2 + dropout read 2 / write mask 1 + output 2 + read by the PV product 2 = 13;
# backward = read dropout output 2 (grad V) + write its gradient 2 + dropout backward read 2 +
# mask 1 / write 2 + softmax backward read output 2 + gradient 2 / write 2 + read by the QK
# backward products 2 = 17.
STANDARD_ATTENTION_FORWARD_BYTES = 13.0
STANDARD_ATTENTION_BACKWARD_BYTES = 17.0
ATTENTION_KINDS = ("flash", "standard")
# Compute kernels that run beside communication kernels slow down (the NCCL kernels take SMs,
# HBM bandwidth and power): 18.9% on average over GPT and LLaMA layers on A100, H100, MI250
# and MI210 (Hassan et al. 2025, 'Characterizing Compute-Communication Overlap in
# GPU-Accelerated Distributed Deep Learning', abstract) https://arxiv.org/abs/2507.03114.
# Each second of hidden communication therefore costs this much compute time.
OVERLAP_COMPUTE_SLOWDOWN = 0.189


@dataclass(frozen=True)
class TrainingSystem:
    """The hardware side of a training estimate: one GPU type, its node and fabric, its efficiencies.

    Bandwidths in GB/s per GPU, one direction; `fabric_*` is None for a single-node cluster.
    `attention` is the run's attention kernel: `flash` (fused, IO-aware: Dao et al. 2022) or
    `standard` (score matrix materialised in HBM, as in Megatron-LM before 2022).
    `ep_overlap_fraction` is the share of expert all-to-all time the schedule hides behind
    other work (0: Megatron/DeepSpeed MoE; DeepSeek-V3's DualPipe overlaps nearly all of it).
    `low_precision_gemm_ratio`: an fp8/fp4 step runs at that share of the 8-/4-bit peak's
    16-bit-measured efficiency (the generation's sustained fp8 matmul over bf16).
    """

    accelerator: Accelerator
    gpus_per_node: int
    nvlink_bandwidth_gbps: float
    fabric_bandwidth_gbps: float | None
    fabric_latency_us: float | None
    gemm_max_efficiency: float
    gemm_half_size_flops: float
    attention_efficiency: float
    memory_efficiency: float
    dp_overlap_fraction: float
    power: GpuPowerModel
    attention: str = "flash"
    ep_overlap_fraction: float = 0.0
    low_precision_gemm_ratio: float = 1.0

    def __post_init__(self) -> None:
        if self.attention not in ATTENTION_KINDS:
            raise ValueError(f"attention must be one of {ATTENTION_KINDS}, got {self.attention!r}")

    def link(self, group: int, stride: int) -> Link:
        """The path of a point-to-point send or all-to-all over `group` ranks spaced `stride`
        apart: NVLink inside a node, else each GPU's own NIC (every GPU of a node sends at once,
        so one rail per GPU is its share of the node's network)."""
        if group * stride <= self.gpus_per_node or self.fabric_bandwidth_gbps is None:
            return Link.nvlink(self.nvlink_bandwidth_gbps)
        return Link.fabric(self.fabric_bandwidth_gbps, self.fabric_latency_us or 0.0)

    def ring_link(self, group: int, stride: int) -> Link:
        """The path of a ring all-reduce, reduce-scatter or all-gather over `group` ranks
        spaced `stride` apart.

        Across nodes NCCL runs one ring per NIC rail, each carrying its share of the buffer;
        a ring crosses a node boundary once per node and moves inside the node over NVLink. A
        group with `q` members in each node therefore drives `q` NICs at once (the `stride`
        groups sharing a node use the others), so the per-GPU term of the alpha-beta formula
        runs at `q` rails, at most the NVLink bandwidth. Multi-node nccl-tests report bus
        bandwidth near the node's total NIC bandwidth for this reason (NVIDIA nccl-tests,
        doc/PERFORMANCE.md, 'bus bandwidth') https://github.com/NVIDIA/nccl-tests.
        """
        if group * stride <= self.gpus_per_node or self.fabric_bandwidth_gbps is None:
            return Link.nvlink(self.nvlink_bandwidth_gbps)
        per_node = max(1, min(group, self.gpus_per_node // stride))
        rails = Link.fabric(self.fabric_bandwidth_gbps * per_node, self.fabric_latency_us or 0.0)
        nvlink = Link.nvlink(self.nvlink_bandwidth_gbps)
        return Link(min(rails.bandwidth_bytes_per_s, nvlink.bandwidth_bytes_per_s), rails.latency_s)


@dataclass(frozen=True)
class TrainingEstimate:
    """Per-step performance of a training job on its GPUs."""

    step_time_s: float
    tokens_per_step: int
    flops_per_token: float
    gpus: int
    peak_flops_per_gpu: float
    phases: tuple[Phase, ...]
    layout: Layout | None = None
    memory: MemoryBreakdown | None = None
    recompute_flops_per_step: float = 0.0

    @property
    def model_flops_per_step(self) -> float:
        return self.flops_per_token * self.tokens_per_step

    @property
    def tokens_per_s(self) -> float:
        return self.tokens_per_step / self.step_time_s

    @property
    def mfu(self) -> float:
        """Model FLOPs utilisation: achieved model FLOP/s over the GPUs' dense peak."""
        return self.model_flops_per_step / (self.step_time_s * self.gpus * self.peak_flops_per_gpu)

    @property
    def hfu(self) -> float:
        """Hardware FLOPs utilisation: as `mfu` but counting recomputed FLOPs."""
        hw = self.model_flops_per_step + self.recompute_flops_per_step
        return hw / (self.step_time_s * self.gpus * self.peak_flops_per_gpu)

    @property
    def mean_activity(self) -> float:
        """Time-weighted GPU activity over one step (drives mean power)."""
        return sum(p.time_s * p.activity for p in self.phases) / self.step_time_s

    def phase_time_s(self, name: str) -> float:
        """Seconds per step spent in the phase `name` (0 when absent)."""
        return sum(p.time_s for p in self.phases if p.name == name)


def tokens_per_step(global_batch_tokens: float, seq_len: int) -> int:
    """Whole sequences per step (at least one) times the sequence length."""
    return max(1, round(global_batch_tokens / seq_len)) * seq_len


def _gemm_s(flops: float, count: float, peak: float, sys: TrainingSystem) -> float:
    return count * gemm_time_s(flops, peak, sys.gemm_max_efficiency, sys.gemm_half_size_flops)


def _exposed_s(comm_s: float, overlap_fraction: float, window_s: float) -> float:
    """Time `comm_s` of communication adds to a step when up to `overlap_fraction` of it may
    hide behind `window_s` of compute: the part left over, plus the slowdown the hidden part
    causes in the compute beside it (`OVERLAP_COMPUTE_SLOWDOWN`)."""
    hidden = min(overlap_fraction * comm_s, window_s)
    return comm_s - hidden + OVERLAP_COMPUTE_SLOWDOWN * hidden


def _layer_forward(
    model: ModelSpec,
    layout: Layout,
    tokens: int,
    seq_len: int,
    peak: float,
    sys: TrainingSystem,
    kind: LayerKind,
):
    """One layer's forward pass on one GPU: (GEMM s, attention s, element-wise s, attention FLOPs,
    score-matrix traffic s forward, score-matrix traffic s backward).

    `kind` is the layer's FFN: a dense layer's MLP, or an MoE layer's routed experts plus its
    shared experts, which run on every token like a dense FFN of their width. Element-wise
    traffic is Korthikanti's per-layer count for every kind (see `ELEMENTWISE_FORWARD_BYTES`).
    """
    tp = layout.tp
    gemms = layer_gemms(model, tokens, tp, kind)
    gemm_s = 0.0
    for g in gemms:
        if kind == "moe" and g.name.startswith("mlp"):
            # Each GPU holds experts/ep experts; balanced routing gives each expert
            # tokens * k * ep / E tokens (Lepikhin et al. 2020, GShard, Sec. 2.2).
            per_expert = max(1.0, tokens * model.experts_per_token * layout.ep / model.experts)
            gemm_s += _gemm_s(2.0 * per_expert * g.n * g.k, model.experts / layout.ep, peak, sys)
        else:
            gemm_s += _gemm_s(g.flops, g.count, peak, sys)
    # QK^T over the query/key width and PV over the value width, every local head
    attn_flops = tokens * attention_forward_flops(model, seq_len) / tp
    hbm = sys.accelerator.hbm_bandwidth_bytes_per_s * sys.memory_efficiency
    if sys.attention == "flash":
        attn_s = CAUSAL_FRACTION * attn_flops / (peak * sys.attention_efficiency)
        score_f = score_b = 0.0
    else:
        # QK^T and PV as two strided-batched GEMMs over all local heads, masked half included
        attn_s = _gemm_s(attn_flops / 2.0, 2, peak, sys)
        scores = tokens * seq_len * model.heads / tp  # score elements per layer on this GPU
        score_f = STANDARD_ATTENTION_FORWARD_BYTES * scores / hbm
        score_b = STANDARD_ATTENTION_BACKWARD_BYTES * scores / hbm
    shard = tp if layout.sequence_parallel else 1
    elem_s = ELEMENTWISE_FORWARD_BYTES * tokens * model.hidden / shard / hbm
    return gemm_s, attn_s, elem_s, attn_flops, score_f, score_b


def estimate_layout(
    model: ModelSpec,
    system: TrainingSystem,
    layout: Layout,
    *,
    seq_len: int,
    sequences: int,
    precision: str,
) -> TrainingEstimate:
    """Step time of `layout` (assumed valid: see `layout_problems`) from its parts."""
    sys, p = system, layout
    peak = sys.accelerator.peak_flops(precision)
    if precision in LOW_PRECISION_COMPUTE:  # sustained at a lower clock than 16-bit GEMMs
        peak *= sys.low_precision_gemm_ratio
    m = sequences // (p.dp * p.microbatch_size)
    tokens = p.microbatch_size * seq_len
    lps = layers_per_stage(model, p.pp)
    full = p.recompute == "full"

    # the last stage's layers; a stage that mixes dense and MoE layers uses their mean
    kinds = stage_layer_kinds(model, lps)
    parts = [(n, _layer_forward(model, p, tokens, seq_len, peak, sys, kind)) for kind, n in kinds]
    if len(parts) == 1:
        layer = parts[0][1]
    else:
        layer = tuple(sum(n * f[i] for n, f in parts) / lps for i in range(len(parts[0][1])))
    gemm_f, attn_f, elem_f, attn_flops, score_f, score_b = layer
    moe_share = sum(n for kind, n in kinds if kind == "moe") / lps
    # forward + backward (2x) + recompute
    rec_gemm = gemm_f if full else 0.0
    rec_attn = attn_f if p.recompute != "none" else 0.0
    rec_elem = elem_f if full else 0.0
    layer_compute = 3 * (gemm_f + attn_f) + rec_gemm + rec_attn
    rec_score = score_f if p.recompute != "none" else 0.0
    layer_elem = (
        elem_f * (1 + ELEMENTWISE_BACKWARD_BYTES / ELEMENTWISE_FORWARD_BYTES)
        + rec_elem
        + score_f
        + score_b
        + rec_score
    )
    head = head_gemm(model, tokens, p.tp)
    heads = 1 + model.mtp_layers  # each MTP module runs the shared LM head on its own states
    head_compute = heads * 3 * _gemm_s(head.flops, 1, peak, sys)
    if model.mtp_layers:
        proj = mtp_projection_gemm(model, tokens, p.tp)
        head_compute += model.mtp_layers * 3 * _gemm_s(proj.flops, 1, peak, sys)
    hbm = sys.accelerator.hbm_bandwidth_bytes_per_s * sys.memory_efficiency
    head_elem = heads * 3 * 4.0 * tokens * model.vocab / p.tp / hbm  # fp32 logits, softmax + loss

    act = tokens * model.hidden * ACTIVATION_BYTES
    tp_link = sys.ring_link(p.tp, 1)
    tp_layer = (4 + (2 if full else 0)) * all_reduce_s(act, p.tp, tp_link)
    a2a_layer = 0.0
    if model.experts > 1 and p.ep > 1:
        ep_link = sys.link(p.ep, p.tp)
        a2a_layer = (4 + (2 if full else 0)) * all_to_all_s(act * model.experts_per_token, p.ep, ep_link)
        a2a_layer *= moe_share  # dispatch and combine in MoE layers only
    pp_mb = 0.0
    if p.pp > 1:
        pp_link = sys.link(2, p.tp * p.dp)
        pp_mb = 2 * p.virtual_pp * p2p_s(act / p.tp, pp_link)

    # per microbatch on the most loaded (last) stage
    compute_mb = lps * layer_compute + head_compute
    elem_mb = lps * layer_elem + head_elem
    tp_mb = lps * tp_layer
    # all-to-alls hidden behind another microbatch's compute (DualPipe-style schedules)
    a2a_mb = _exposed_s(lps * a2a_layer, sys.ep_overlap_fraction, compute_mb)
    mb_time = compute_mb + elem_mb + tp_mb + a2a_mb + pp_mb
    bubble = (p.pp - 1) / p.virtual_pp * mb_time

    dense, expert = stage_params(model, p)
    gbytes = ACTIVATION_BYTES
    dp_link = sys.ring_link(p.dp, p.tp)
    edp = max(1, p.dp // p.ep)
    edp_link = sys.ring_link(edp, p.tp * p.ep)
    if p.zero >= 3:
        # FSDP: gather weights for forward and backward, reduce-scatter gradients, every
        # microbatch, one layer at a time (each layer's collectives pay their own latency)
        per_mb = lps * (
            2 * all_gather_s(dense * gbytes / lps, p.dp, dp_link)
            + reduce_scatter_s(dense * gbytes / lps, p.dp, dp_link)
            + 2 * all_gather_s(expert * gbytes / lps, edp, edp_link)
            + reduce_scatter_s(expert * gbytes / lps, edp, edp_link)
        )
        dp_comm, window = m * per_mb, m * (compute_mb + elem_mb)
    else:
        dp_comm = all_reduce_s(dense * gbytes, p.dp, dp_link) + all_reduce_s(expert * gbytes, edp, edp_link)
        window = 2.0 / 3.0 * lps * (layer_compute + layer_elem)  # last microbatch's backward
    dp_exposed = _exposed_s(dp_comm, sys.dp_overlap_fraction, window)

    shard = dense / p.dp + expert / edp if p.zero >= 1 else dense + expert
    optimizer = OPTIMIZER_BYTES_PER_PARAM * shard / hbm

    phases = (
        Phase("compute", m * compute_mb, sys.power.compute_activity, "compute"),
        Phase("elementwise", m * elem_mb, sys.power.memory_activity, "memory"),
        Phase("tp_communication", m * tp_mb, sys.power.communication_activity, "communication"),
        Phase("ep_all_to_all", m * a2a_mb, sys.power.communication_activity, "communication"),
        Phase("pp_communication", m * pp_mb, sys.power.communication_activity, "communication"),
        Phase("pipeline_bubble", bubble, sys.power.communication_activity, "idle"),
        Phase("dp_communication", dp_exposed, sys.power.communication_activity, "communication"),
        Phase("optimizer", optimizer, sys.power.memory_activity, "memory"),
    )
    phases = tuple(ph for ph in phases if ph.time_s > 0)
    step = sum(ph.time_s for ph in phases)
    batch_tokens = sequences * seq_len
    flops_per_token = training_flops_per_token(model, seq_len)
    # recomputed work per step over all GPUs: one more forward (full) or attention core (selective)
    attn_per_token = attn_flops * p.tp / tokens * model.layers
    if full:
        recompute = batch_tokens * (flops_per_token / 3.0)
    elif p.recompute == "selective":
        recompute = batch_tokens * attn_per_token
    else:
        recompute = 0.0
    return TrainingEstimate(
        step_time_s=step,
        tokens_per_step=batch_tokens,
        flops_per_token=flops_per_token,
        gpus=p.gpus,
        peak_flops_per_gpu=peak,
        phases=phases,
        layout=p,
        memory=training_memory(
            model, p, seq_len=seq_len, microbatches=m, precision=precision, attention=sys.attention
        ),
        recompute_flops_per_step=recompute,
    )


def rescale_to_mfu(estimate: TrainingEstimate, mfu: float) -> TrainingEstimate:
    """The same phases stretched uniformly so the step reaches `mfu` (a measured override)."""
    if not 0 < mfu <= 1:
        raise ValueError(f"mfu must be in (0, 1], got {mfu}")
    factor = estimate.mfu / mfu
    phases = tuple(Phase(ph.name, ph.time_s * factor, ph.activity, ph.bound) for ph in estimate.phases)
    return TrainingEstimate(
        step_time_s=estimate.step_time_s * factor,
        tokens_per_step=estimate.tokens_per_step,
        flops_per_token=estimate.flops_per_token,
        gpus=estimate.gpus,
        peak_flops_per_gpu=estimate.peak_flops_per_gpu,
        phases=phases,
        layout=estimate.layout,
        memory=estimate.memory,
        recompute_flops_per_step=estimate.recompute_flops_per_step,
    )


def estimate_training(
    model: ModelSpec,
    accelerator: Accelerator,
    *,
    gpus: int,
    seq_len: int,
    global_batch_tokens: float,
    precision: str,
    efficiency: float | None = None,
    activity: float = 1.0,
    system: TrainingSystem | None = None,
    layout: Layout | None = None,
) -> TrainingEstimate:
    """Per-step estimate of a training job.

    With `system` and `layout`: the parallelism-aware model (`estimate_layout`); a given
    `efficiency` (a measured end-to-end MFU from a calibration profile) then rescales its
    phases, and the GPU's power cap (`system.power.cap_w`) stretches and caps them. Without them: v0, step time = model FLOPs / (GPUs x dense peak x `efficiency`),
    one compute phase at `activity`.
    """
    if system is not None and layout is not None:
        sequences = max(1, round(global_batch_tokens / seq_len))
        est = estimate_layout(
            model, system, layout, seq_len=seq_len, sequences=sequences, precision=precision
        )
        est = rescale_to_mfu(est, efficiency) if efficiency is not None else est
        return system.power.cap_estimate(est)
    if efficiency is None or not 0 < efficiency <= 1:
        raise ValueError(f"efficiency must be in (0, 1], got {efficiency}")
    peak = accelerator.peak_flops(precision)
    batch = tokens_per_step(global_batch_tokens, seq_len)
    flops_per_token = training_flops_per_token(model, seq_len)
    step_time_s = flops_per_token * batch / (gpus * peak * efficiency)
    return TrainingEstimate(
        step_time_s=step_time_s,
        tokens_per_step=batch,
        flops_per_token=flops_per_token,
        gpus=gpus,
        peak_flops_per_gpu=peak,
        phases=(Phase("compute", step_time_s, activity),),
    )
