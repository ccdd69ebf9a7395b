"""The payments tools, shared by both SDK eras. Results are small and deterministic."""

from __future__ import annotations

from typing import Any


def charge(amount: int, currency: str = "EUR") -> dict[str, Any]:
    """Charge an amount (minor units) in a currency."""
    return {"charge_id": f"ch_{amount}_{currency}", "amount": amount, "currency": currency, "status": "succeeded"}


def refund(charge_id: str) -> dict[str, Any]:
    """Refund a charge."""
    return {"refund_id": f"re_{charge_id}", "charge_id": charge_id, "status": "refunded"}


def legacy_charge(amount: int) -> dict[str, Any]:
    """Charge through the legacy path (withdrawn for everyone in the reference scenario)."""
    return {"charge_id": f"lch_{amount}", "amount": amount, "currency": "EUR", "legacy": True}


def beta_tool() -> str:
    """A beta feature (withdrawn for tenant:a in the reference scenario)."""
    return "beta ok"


TOOLS = [charge, refund, legacy_charge, beta_tool]


def extra_tool() -> str:
    """A tool the test control endpoint adds at run time (to change the tool list)."""
    return "extra ok"


EXTRA_TOOLS = {"extra_tool": extra_tool}
