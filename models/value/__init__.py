"""Customer value and churn risk: BG/NBD P(alive) and expected purchases, Gamma-Gamma spend per order, CLV,
overdue ratios, churn risk and the at-risk high-value list."""

from models.value.churn import CHURN_DEFINITION, at_risk_table, churn_risk
from models.value.clv import CLV_DEFINITION, CustomerValueModel, customer_summary
from models.value.gamma_gamma import GammaGammaModel

__all__ = ["CHURN_DEFINITION", "CLV_DEFINITION", "CustomerValueModel", "GammaGammaModel", "at_risk_table",
           "churn_risk", "customer_summary"]
