import re

import pandas as pd
import pytest
from pydantic import ValidationError

from simcompute.catalog import (
    Accelerator,
    Catalog,
    CatalogError,
    Engine,
    Fabric,
    Generation,
    ModelSpec,
    Node,
    Region,
    load_catalog,
)
from simcompute.catalog.loader import KINDS, is_sourced, read_raw

ID_RE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")
MODEL_ARCH_INTS = {
    "layers",
    "hidden",
    "heads",
    "kv_heads",
    "vocab",
    "ffn_hidden",
    "max_seq_len",
    "params",
    "experts",
    "experts_per_token",
    "shared_experts",
    "expert_ffn_hidden",
    "dense_layers",
    "q_lora_rank",
    "kv_lora_rank",
    "qk_rope_head_dim",
    "qk_nope_head_dim",
    "v_head_dim",
    "mtp_layers",
}

REQUIRED = {
    "accelerators": {
        "v100",
        "a100-40gb",
        "a100-80gb",
        "h100-sxm",
        "h800",
        "h200",
        "b200",
        "mi300x",
        "l4",
        "t4",
        "gb200",
    },
    "generations": {"volta", "turing", "ampere", "ada", "hopper", "blackwell", "cdna3"},
    "nodes": {
        "dgx-v100",
        "dgx-a100-40gb",
        "dgx-a100-80gb",
        "dgx-h100",
        "hgx-h200",
        "hgx-b200",
        "mi300x-8",
        "l4-server",
        "t4-server",
        "gb200-nvl72",
    },
    "fabrics": {"ib-edr-100", "ib-hdr-200", "ib-ndr-400", "roce-400g", "ethernet-100g", "aws-efa-400"},
    "models": {
        "gpt-3-175b",
        "llama-7b",
        "llama-13b",
        "llama-33b",
        "llama-65b",
        "llama-2-7b",
        "llama-2-13b",
        "llama-2-70b",
        "llama-3-8b",
        "llama-3-70b",
        "llama-3-405b",
        "bloom-176b",
        "opt-175b",
        "mpt-7b",
        "mpt-30b",
        "falcon-40b",
        "pythia-1b",
        "pythia-6.9b",
        "pythia-12b",
        "gpt-2-small",
        "deepseek-v3",
    },
    "regions": {
        "us-west",
        "us-east",
        "us-central",
        "us-average",
        "canada-quebec",
        "france",
        "germany",
        "uk",
        "ireland",
        "sweden",
        "norway",
        "finland",
        "netherlands",
        "iceland",
        "india",
        "china",
        "japan",
        "singapore",
        "australia",
        "world",
    },
    "engines": {"generic", "vllm", "vllm-v1", "sglang", "trt-llm", "tgi"},
}


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def _numbers_without_source(node, path):
    """Yield paths of numbers that are not wrapped in {value, source}."""
    if is_sourced(node):
        src = node["source"]
        if not isinstance(src, str) or not src.strip():
            yield path + " (empty source)"
        return
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _numbers_without_source(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _numbers_without_source(v, f"{path}[{i}]")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path


@pytest.mark.parametrize("kind", KINDS)
def test_every_number_has_a_source(kind):
    raw = read_raw(kind)
    assert raw
    missing = []
    for key, entry in raw.items():
        for path in _numbers_without_source(entry, f"{kind}.{key}"):
            field = path.split(".")[-1]
            if field == "year":
                continue  # metadata, documented in the carbon/price sources
            if kind == "models" and field in MODEL_ARCH_INTS:
                continue  # covered by the entry-level source below
            missing.append(path)
        if kind == "models":
            assert isinstance(entry.get("source"), str) and "http" in entry["source"], key
    assert not missing, f"numbers without a source: {missing}"


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "models"])
def test_sources_survive_loading(cat, kind):
    for key in cat.ids(kind):
        rec = cat.items(kind)[key]
        numeric = [
            f
            for f, v in rec.model_dump(exclude={"sources", "id", "year"}).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        ]
        for f in numeric:
            assert rec.sources.get(f), f"{kind}.{key}.{f} lost its source"
        # every source is a real citation: a URL, or an explicit estimate/derivation
        for f, src in rec.sources.items():
            cited = "http" in src or "estimate" in src or "derived" in src
            assert cited or src.startswith("unknown"), (kind, key, f, src)


def test_accelerator_sources_accessible(cat):
    acc = cat.accelerator("a100-80gb")
    assert "datasheet" in acc.sources["tdp_w"].lower()
    assert acc.sources["peak_tflops.bf16"]


@pytest.mark.parametrize("kind", KINDS)
def test_required_ids_present_and_well_formed(cat, kind):
    ids = cat.ids(kind)
    assert REQUIRED[kind] <= set(ids)
    for i in ids:
        assert ID_RE.match(i), f"{kind} id {i!r} is not lowercase-hyphenated"
    assert len(ids) == len(set(ids))


def test_references_resolve(cat):
    for nid in cat.ids("nodes"):
        node = cat.node(nid)
        assert node.gpu in cat.ids("accelerators")
        assert cat.node_accelerator(nid).id == node.gpu
    gens = set(cat.ids("generations"))
    for aid in cat.ids("accelerators"):
        assert cat.accelerator(aid).generation in gens


def test_record_types(cat):
    assert isinstance(cat.accelerator("h100-sxm"), Accelerator)
    assert isinstance(cat.node("dgx-h100"), Node)
    assert isinstance(cat.fabric("ib-ndr-400"), Fabric)
    assert isinstance(cat.model("llama-7b"), ModelSpec)
    assert isinstance(cat.region("france"), Region)
    assert isinstance(cat.generation("hopper"), Generation)
    assert isinstance(cat.engine("vllm"), Engine)


@pytest.mark.parametrize(
    "method,bad,expect",
    [
        ("accelerator", "a100", ["a100-80gb", "a100-40gb"]),
        ("node", "dgx-a100", ["dgx-a100-80gb", "dgx-a100-40gb"]),
        ("model", "llama2-7b", ["llama-2-7b"]),
        ("fabric", "ib-hdr", ["ib-hdr-200"]),
        ("region", "us-wset", ["us-west"]),
        ("generation", "hoper", ["hopper"]),
    ],
)
def test_unknown_id_names_closest(cat, method, bad, expect):
    with pytest.raises(CatalogError) as ei:
        getattr(cat, method)(bad)
    msg = str(ei.value)
    assert method in msg and repr(bad) in msg and "closest:" in msg
    for e in expect:
        assert e in msg
    assert isinstance(ei.value, ValueError)


def test_unknown_id_without_close_match_lists_all(cat):
    with pytest.raises(CatalogError) as ei:
        cat.fabric("zzzzzz")
    msg = str(ei.value)
    assert "known:" in msg
    for f in cat.ids("fabrics"):
        assert f in msg


def test_unknown_kind(cat):
    with pytest.raises(CatalogError):
        cat.ids("gpus")


def test_peak_flops_units(cat):
    a100 = cat.accelerator("a100-80gb")
    assert a100.peak_flops("bf16") == pytest.approx(312e12)
    assert a100.peak_flops("fp16") == pytest.approx(312e12)
    assert a100.peak_flops("tf32") == pytest.approx(156e12)
    assert a100.peak_flops("fp32") == pytest.approx(19.5e12)
    assert cat.accelerator("h100-sxm").peak_flops("bf16") == pytest.approx(989.4e12)
    assert cat.accelerator("h100-sxm").peak_flops("fp8") == pytest.approx(1978.9e12)
    assert cat.accelerator("v100").peak_flops("fp16") == pytest.approx(125e12)
    with pytest.raises(CatalogError, match="a100-80gb has no fp8"):
        a100.peak_flops("fp8")
    with pytest.raises(CatalogError, match="unknown precision"):
        a100.peak_flops("fp64x")


@pytest.mark.parametrize("acc", ["v100", "t4"])
def test_no_bf16_on_pre_ampere(cat, acc):
    a = cat.accelerator(acc)
    assert "bf16" not in a.peak_tflops
    with pytest.raises(CatalogError, match=f"{acc} has no bf16 peak; use fp16"):
        a.peak_flops("bf16")


def test_dense_peaks_are_ordered(cat):
    for aid in cat.ids("accelerators"):
        p = cat.accelerator(aid).peak_tflops
        if "fp8" in p and "bf16" in p:
            assert p["fp8"] == pytest.approx(2 * p["bf16"], rel=0.01), aid
        if "tf32" in p and "bf16" in p:
            assert p["tf32"] == pytest.approx(p["bf16"] / 2, rel=0.03), aid
        if "fp32" in p and "fp16" in p:
            assert p["fp32"] < p["fp16"], aid


def test_physical_sanity(cat):
    for aid in cat.ids("accelerators"):
        a = cat.accelerator(aid)
        assert 0 < a.idle_power_w < a.tdp_w
        assert a.memory_gib > 0 and a.hbm_bandwidth_tbps > 0 and a.scaleup_bandwidth_gbps > 0
    for nid in cat.ids("nodes"):
        n = cat.node(nid)
        a = cat.accelerator(n.gpu)
        assert 0 < n.host_power_idle_w < n.host_power_max_w
        assert n.rated_power_w == pytest.approx(n.host_power_max_w + n.gpus_per_node * a.tdp_w)
        # one-direction NVLink/PCIe is half the datasheet bidirectional figure
        assert n.nvlink_bandwidth_gbps <= a.scaleup_bandwidth_gbps / 2 + 1e-9
    for gid in cat.ids("generations"):
        g = cat.generation(gid)
        # sustained GEMM rate: below the best burst measured on any GPU (A100 MAMF 86.9% of peak)
        assert 0.3 < g.gemm_efficiency_max < 0.87
    for rid in cat.ids("regions"):
        r = cat.region(rid)
        assert 0 <= r.carbon_intensity_g_per_kwh < 1500
        assert 0 < r.electricity_usd_per_kwh < 1
        assert r.year >= 2019
    for fid in cat.ids("fabrics"):
        f = cat.fabric(fid)
        assert f.bandwidth_gbps > 0 and f.latency_us > 0
        assert f.switch_power_w_per_node == pytest.approx(8 * f.switch_power_w_per_nic)
    assert cat.fabric("ib-hdr-200").bandwidth_gbps == 25
    assert cat.node("dgx-a100-80gb").nvlink_bandwidth_gbps == 300


def test_table(cat):
    df = cat.table("accelerators")
    assert isinstance(df, pd.DataFrame)
    assert len(df) == len(cat.ids("accelerators"))
    assert list(df["id"]) == cat.ids("accelerators")
    assert {"tdp_w", "memory_gib", "peak_tflops_bf16", "generation"} <= set(df.columns)
    assert df.set_index("id").loc["a100-80gb", "peak_tflops_bf16"] == 312
    assert pd.isna(df.set_index("id").loc["v100", "peak_tflops_bf16"])
    for kind in KINDS:
        t = cat.table(kind)
        assert len(t) == len(cat.ids(kind))
        assert "sources" not in t.columns
    assert "derived_params" in cat.table("models").columns


def test_catalog_is_cached_and_immutable(cat):
    assert load_catalog() is cat
    with pytest.raises(AttributeError):
        cat.foo = 1
    acc = cat.accelerator("h200")
    with pytest.raises(ValidationError):
        acc.tdp_w = 1
    with pytest.raises(TypeError):
        acc.peak_tflops["bf16"] = 1.0
    with pytest.raises(TypeError):
        acc.sources["tdp_w"] = "x"


def test_catalog_from_directory_rejects_unsourced_number(tmp_path):
    from importlib import resources

    root = resources.files("simcompute.catalog.data")
    for kind in KINDS:
        (tmp_path / f"{kind}.yaml").write_text(root.joinpath(f"{kind}.yaml").read_text())
    text = (tmp_path / "fabrics.yaml").read_text()
    text = text.replace(
        "latency_us: {value: 0.8, source:", "latency_us: 0.8\n    unused_source_field: {value: 1, source:", 1
    )
    (tmp_path / "fabrics.yaml").write_text(text)
    with pytest.raises(CatalogError, match="has no source"):
        Catalog.from_directory(tmp_path)


def test_catalog_from_directory_checks_node_gpu(tmp_path):
    from importlib import resources

    root = resources.files("simcompute.catalog.data")
    for kind in KINDS:
        (tmp_path / f"{kind}.yaml").write_text(root.joinpath(f"{kind}.yaml").read_text())
    text = (tmp_path / "nodes.yaml").read_text().replace("gpu: h100-sxm", "gpu: h100", 1)
    (tmp_path / "nodes.yaml").write_text(text)
    with pytest.raises(CatalogError, match="unknown accelerator 'h100'"):
        Catalog.from_directory(tmp_path)


def test_h800_is_an_h100_with_less_nvlink(cat):
    """Same die, memory and tensor peaks as the H100 SXM; NVLink 400 instead of 900 GB/s."""
    h800, h100 = cat.accelerator("h800"), cat.accelerator("h100-sxm")
    for precision in ("bf16", "fp8"):
        assert h800.peak_flops(precision) == h100.peak_flops(precision)
    assert h800.memory_bytes == h100.memory_bytes
    assert h800.hbm_bandwidth_bytes_per_s == h100.hbm_bandwidth_bytes_per_s
    assert cat.node("hgx-h800").gpu == "h800"
    assert cat.node("hgx-h800").nvlink_bandwidth_gbps == 200 < cat.node("dgx-h100").nvlink_bandwidth_gbps
