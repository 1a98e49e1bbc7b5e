#!/usr/bin/env bash
# Calibrate one NVIDIA GPU (H100/H200 class): bf16 training sweep + held-out check + inference
# timing, about 5-6 minutes. Installs nothing: needs the `calibrate` extra already installed
# (torch with CUDA, nvidia-ml-py). Writes calibration/profiles/<gpu>-<date>.yaml and the raw
# points next to it (<gpu>-<date>.points.jsonl). Re-run with RESUME=1 after an interruption.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
"$PY" - <<'PY'
import sys
try:
    import torch, pynvml  # noqa: F401
except ImportError as exc:
    sys.exit(f"run_gpu.sh: {exc}; install the calibrate extra first: pip install -e .[calibrate]")
if not torch.cuda.is_available():
    sys.exit("run_gpu.sh: torch sees no CUDA GPU")
PY
GPU_ID="$("$PY" -c 'import torch; from calibration.cli import catalog_gpu_id as c; print(c(torch.cuda.get_device_name(0)) or "unknown-gpu")')"
OUT="calibration/profiles/${GPU_ID}-$(date +%Y-%m-%d).yaml"
EXTRA=()
if [[ "${RESUME:-0}" == "1" ]]; then EXTRA+=(--resume); else EXTRA+=(--force); fi
exec "$PY" -m calibration --device cuda:0 --sweep gpu --holdout --out "$OUT" "${EXTRA[@]}" "$@"
