"""The contract kit's tests share the order source of tests/contract_helpers.py."""

from contract_helpers import order  # noqa: F401  (the fixture)
