"""Widget apps for JupyterLab and Voilà: each wraps the pure core, exposes ``.root`` and never
displays itself in its constructor. Errors raised in callbacks show in a visible box."""

from toolkit.widgets.cadence import CadenceApp, CadenceModel
from toolkit.widgets.harvest import HarvestApp, HarvestModel
from toolkit.widgets.lots import LotWhatIfApp, LotWhatIfModel
from toolkit.widgets.onboarding import InitApp, InitModel
from toolkit.widgets.plan import PlanApp, PlanModel
from toolkit.widgets.targets import TargetsApp, TargetsModel

__all__ = [
    "CadenceApp",
    "CadenceModel",
    "HarvestApp",
    "HarvestModel",
    "InitApp",
    "InitModel",
    "LotWhatIfApp",
    "LotWhatIfModel",
    "PlanApp",
    "PlanModel",
    "TargetsApp",
    "TargetsModel",
]
