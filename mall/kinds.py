"""The e-mall's one outer shape: a registry of purchase kinds with the same methods.

Every way the e-mall buys (网上超市, 定点服务 here; 反向竞价, 在线询价, 框架协议 later) is a `PurchaseKind`
subclass registered once at import (`register(Kind())`, as CTFd registers its challenge types). Each kind
answers the same eight steps — `open`, `quote`, `close`, `award`, `order`, `contract`, `accept`, `rate` —
each a service function that checks who, status and clock, writes and audits, and never commits. A step a
kind does not have (the supermarket's quote is the standing listing price: there is nothing to close)
refuses with `kind_step_not_supported`, so pages and the API call `kinds.get(code).order(...)` the same way
for every kind and a new kind only fills in its own steps.

A kind also names the contract source its orders use (`contract_kind`, a `contracts.sources` kind) and
lists its steps for the e-mall's home page (`steps`: which of the eight it has, in order).
"""

from __future__ import annotations

from typing import Any

from core.errors import Conflict, NotFound

STEPS = ("open", "quote", "close", "award", "order", "contract", "accept", "rate")


class PurchaseKind:
    """The shape every purchase kind has. Override the steps the kind has; list them in `steps`."""

    code: str = ""
    label: str = ""  # N_("网上超市"): translated where shown
    contract_kind: str = ""  # the contracts kit's source kind of this kind's orders
    steps: tuple[str, ...] = ()

    def _refuse(self, step: str) -> Any:
        raise Conflict(f"“{self.label}”没有“{step}”这一步。", code="kind_step_not_supported",
                       details={"kind": self.code, "step": step})

    def open(self, user: Any, **data: Any) -> Any:
        """Open a purchase (a store, a call-off, an auction, an inquiry)."""
        return self._refuse("open")

    def quote(self, user: Any, subject: Any, **data: Any) -> Any:
        """A supplier's quote or bid (a listing's price, an auction bid, an inquiry quote)."""
        return self._refuse("quote")

    def close(self, subject: Any, **data: Any) -> Any:
        """Close quoting (an auction's end, an inquiry's deadline)."""
        return self._refuse("close")

    def award(self, user: Any, subject: Any, **data: Any) -> Any:
        """Pick the winner (lowest price, the buyer's pick)."""
        return self._refuse("award")

    def order(self, user: Any, subject: Any, **data: Any) -> Any:
        """Place the order that buys."""
        return self._refuse("order")

    def contract(self, user: Any, order: Any, **data: Any) -> Any:
        """Draft the order's electronic contract through the contracts kit."""
        return self._refuse("contract")

    def accept(self, user: Any, order: Any, **data: Any) -> Any:
        """The purchaser accepts what was delivered (or the bill that was checked)."""
        return self._refuse("accept")

    def rate(self, user: Any, order: Any, **data: Any) -> Any:
        """The purchaser rates the supplier (feeds its credit)."""
        return self._refuse("rate")

    def run(self, step: str, *args: Any, **kwargs: Any) -> Any:
        """Call a step by its name (the API's one endpoint per step)."""
        if step not in STEPS:
            raise NotFound(f"没有“{step}”这一步。", code="kind_step_unknown")
        return getattr(self, step)(*args, **kwargs)


_KINDS: dict[str, PurchaseKind] = {}


def register(kind: PurchaseKind) -> PurchaseKind:
    """Add a kind (once, at import). A code is a slug; its steps are a subset of `STEPS` in their order."""
    if not kind.code.isidentifier():
        raise ValueError(f"purchase kind code {kind.code!r} is not a slug")
    if [s for s in STEPS if s in kind.steps] != list(kind.steps):
        raise ValueError(f"purchase kind {kind.code}: steps {kind.steps} are not among {STEPS} in order")
    for step in kind.steps:
        if getattr(type(kind), step) is getattr(PurchaseKind, step):
            raise ValueError(f"purchase kind {kind.code} lists step {step} but does not define it")
    _KINDS[kind.code] = kind
    return kind


def get(code: str) -> PurchaseKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise NotFound("没有这种电子卖场采购方式。", code="kind_unknown") from None


def all_kinds() -> list[PurchaseKind]:
    return list(_KINDS.values())
