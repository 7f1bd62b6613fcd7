"""Account ids: masked forms match the household file; tax types inferred from broker names."""

from __future__ import annotations

import pytest

from toolkit.accounts import account_key, infer_tax_type, keys_match, mask_text
from toolkit.schema import TaxType


@pytest.mark.parametrize(
    ("raw", "key", "masked"),
    [
        ("X71234567", "X71234567", False),
        ("...567", "567", True),
        ("XXXX-4567", "4567", True),
        ("Individual ...567", "567", True),
        ("Brokerage XXXX-1234", "1234", True),
        ("Individual Brokerage -4567", "4567", True),
        ("U***4567", "4567", True),
        ("99X-12345", "99X12345", False),
        ("12345678", "12345678", False),
        (" x71234567 ", "X71234567", False),
    ],
)
def test_account_key(raw, key, masked):
    k = account_key(raw)
    assert (k.key, k.masked) == (key, masked)


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        ("X71234567", "X71234567", True),
        ("X71234567", "...567", True),
        ("X71234567", "XXXX-4567", True),
        ("XXXX-4567", "...567", True),
        ("X71234567", "X71234568", False),
        ("X71234567", "...568", False),
        ("12345678", "Individual Brokerage -5678", True),
        ("U1234567", "U***4567", True),
        ("...67", "X71234567", False),  # two visible digits are not enough
    ],
)
def test_keys_match(a, b, match):
    assert keys_match(a, b) is match
    assert keys_match(b, a) is match


@pytest.mark.parametrize(
    ("name", "tax_type"),
    [
        ("ROTH IRA", TaxType.ROTH_IRA),
        ("Roth Contributory IRA", TaxType.ROTH_IRA),
        ("ROLLOVER IRA", TaxType.TRADITIONAL_IRA),
        ("Traditional IRA", TaxType.TRADITIONAL_IRA),
        ("Contributory IRA", TaxType.TRADITIONAL_IRA),
        ("ACME 401(K) PLAN", TaxType.K401),
        ("401K SAVINGS PLAN", TaxType.K401),
        ("ROTH 401(K)", TaxType.ROTH_401K),
        ("UNIVERSITY 403(B)", TaxType.B403),
        ("HEALTH SAVINGS ACCOUNT", TaxType.HSA),
        ("HSA", TaxType.HSA),
        ("SEP-IRA", TaxType.SEP_IRA),
        ("Joint WROS", TaxType.TAXABLE),
        ("Individual", TaxType.TAXABLE),
        ("INDIVIDUAL - TOD", TaxType.TAXABLE),
        ("Individual Brokerage", TaxType.TAXABLE),
        # Merrill registrations (the name Merrill exports give an account)
        ("IRRA-Edge", TaxType.TRADITIONAL_IRA),
        ("IRA-Edge", TaxType.TRADITIONAL_IRA),
        ("Roth IRA-Edge", TaxType.ROTH_IRA),
        ("CMA-Edge", TaxType.TAXABLE),
        ("CMAM", TaxType.TAXABLE),
        ("BROKERAGELINK", None),
        ("My Account", None),
        ("", None),
        (None, None),
    ],
)
def test_infer_tax_type(name, tax_type):
    assert infer_tax_type(name) == tax_type


def test_every_tax_type_has_a_treatment():
    for t in TaxType:
        assert t.treatment.value in ("taxable", "tax_deferred", "tax_free")
    assert TaxType.TAXABLE.tax_advantaged is False
    assert TaxType.ROTH_IRA.treatment.value == "tax_free"
    assert TaxType.K401.treatment.value == "tax_deferred"
    assert TaxType.HSA.treatment.value == "tax_free"


def test_mask_text_hides_every_id_longest_first():
    ids = ["12345678", "X12345678", "...456", "87"]
    text = "from X12345678 to 12345678 (and ...456, 87)"
    assert mask_text(text, ids) == "from ...678 to ...678 (and ...456, 87)"
    assert mask_text(text, ids, keep=4) == "from ...5678 to ...5678 (and ...456, 87)"
    assert mask_text(text, []) == text
