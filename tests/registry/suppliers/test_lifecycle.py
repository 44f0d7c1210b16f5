"""The supplier status table: exactly these moves, every other refused with its code."""

import itertools

import pytest

from core.errors import Conflict
from core.transitions import move
from registry.suppliers.models import SupplierStatus as S

ALLOWED = {
    (S.DRAFT, S.SUBMITTED), (S.SUBMITTED, S.ACTIVE), (S.SUBMITTED, S.DRAFT), (S.ACTIVE, S.SUSPENDED),
    (S.SUSPENDED, S.ACTIVE), (S.ACTIVE, S.DEREGISTERED), (S.SUSPENDED, S.DEREGISTERED),
}


class Plain:
    def __init__(self, status):
        self.status = status


@pytest.mark.parametrize(("before", "after"), list(itertools.product(S, S)))
def test_status_table(before, after):
    obj = Plain(before)
    if (before, after) in ALLOWED:
        assert move(obj, after) is before and obj.status is after
    else:
        with pytest.raises(Conflict) as refused:
            move(obj, after)
        assert refused.value.code == "supplier_transition_refused" and obj.status is before
