"""Power chain: GPU -> slot (GPU + host + network share) -> IT -> facility -> grid."""

from simcompute.power.facility import DEFAULT_PUE, DEFAULT_WUE_L_PER_KWH, ConstantPue
from simcompute.power.gpu import GpuPowerModel, Phase
from simcompute.power.grid import Grid
from simcompute.power.it import SlotPower, SlotPowerModel

__all__ = [
    "DEFAULT_PUE",
    "DEFAULT_WUE_L_PER_KWH",
    "ConstantPue",
    "GpuPowerModel",
    "Grid",
    "Phase",
    "SlotPower",
    "SlotPowerModel",
]
