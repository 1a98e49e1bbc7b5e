"""Hardware catalog (accelerators, generations, nodes, fabrics), model presets, grid regions and
serving engines.

cat = load_catalog()
cat.accelerator("a100-80gb").peak_flops("bf16")   # 312e12
cat.node("dgx-a100-80gb"); cat.fabric("ib-hdr-200"); cat.model("llama-7b")
cat.region("us-west"); cat.generation("ampere"); cat.engine("vllm"); cat.ids("models"); cat.table("nodes")
"""

from .engines import Engine
from .errors import CatalogError
from .hardware import PRECISIONS, Accelerator, Fabric, Generation, Node
from .loader import KINDS, Catalog, load_catalog
from .models import LayerKind, ModelSpec, llama_ffn_hidden
from .sites import Region

__all__ = [
    "KINDS",
    "PRECISIONS",
    "Accelerator",
    "Catalog",
    "CatalogError",
    "Engine",
    "Fabric",
    "Generation",
    "LayerKind",
    "ModelSpec",
    "Node",
    "Region",
    "llama_ffn_hidden",
    "load_catalog",
]
