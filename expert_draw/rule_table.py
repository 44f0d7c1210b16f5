"""The draw's rules in force for a region, read from the one region-rule store (`region_rules`).

The keys are declared in `expert_draw.rules` (`expert_draw.*`); a region inherits what it does not
set from its city, province and the national level, and the version recorded with each draw is the
region's rule-set version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from accounts.models import User
from core.errors import ValidationError
from expert_draw.rules import DEFAULT_RULE
from region_rules import store
from region_rules.keys import RuleValue

GROUP = "expert_draw"

__all__ = ["DEFAULT_RULE", "DrawRules", "rule_for", "set_region_rule"]


@dataclass(frozen=True)
class DrawRules:
    """The draw rules in force for a region (`rule.age_limit`, …) and the rule-set version they belong to."""

    region_code: str | None
    version: int
    rules: dict[str, RuleValue]

    def __getattr__(self, name: str) -> RuleValue:
        try:
            return self.__dict__["rules"][name]
        except KeyError:
            raise AttributeError(name) from None

    def values(self) -> dict:
        """The rule set as the commitment logs it (ints, strings, bools only)."""
        return dict(self.rules) | {"region": self.region_code or "*", "version": self.version}

    def weights(self) -> dict[str, int]:
        text = str(self.rules["weighting"])
        if not text.strip():
            return {}
        return {tier.strip(): int(w) for tier, w in (p.split(":") for p in text.split(","))}


def rule_for(region_code: str | None) -> DrawRules:
    """The draw rules in force for a region now."""
    rules = store.snapshot(region_code)
    return DrawRules(region_code, rules.version, rules.group(GROUP))


def set_region_rule(actor: User, region_code: str | None, *, effective_on: date | None = None,
                    **values: RuleValue) -> DrawRules:
    """Change some of a region's draw rules (supervisor or admin), from `effective_on` (default: now)."""
    unknown = sorted(set(values) - set(DEFAULT_RULE))
    if unknown:
        raise ValidationError(f"未知的规则项：{', '.join(unknown)}", code="rule_unknown")
    store.set_values(actor, region_code, {f"{GROUP}.{k}": v for k, v in values.items()}, effective_on=effective_on)
    return rule_for(region_code)
