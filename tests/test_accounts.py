"""Account ids: masked forms match the household file; tax types inferred from broker names."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.accounts import (
    AccountMasker,
    account_key,
    account_masks,
    infer_tax_type,
    keys_match,
    mask_text,
)
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
    ids = ["12345678", "X71234567", "...456", "87"]
    text = "from X71234567 to 12345678 (and ...456, 87)"
    assert mask_text(text, ids) == "from ...567 to ...678 (and ...456, 87)"
    assert mask_text(text, []) == text


def test_masks_are_unique_with_more_characters_where_three_collide():
    # 23456789 and 11112789 both end in 789: four characters tell them apart
    assert account_masks(["23456789", "11112789", "X71234567"]) == {
        "23456789": "...6789", "11112789": "...2789", "X71234567": "...567"}


def test_masks_that_cannot_be_told_apart_by_digits_carry_the_name():
    # the sample household: Schwab masks Alex's Roth IRA as ...789; Maya's Roth IRA at Vanguard
    # is 23456789. "...789" and "...6789" would leave a reader unsure they differ, and Schwab
    # shows only three characters: both keep three and add the name.
    names = {"...789": "Alex Roth IRA", "23456789": "Maya Roth IRA", "87654": "ACME 401(k)"}
    assert account_masks(["...789", "23456789", "87654"], names) == {
        "...789": "...789 (Alex Roth IRA)", "23456789": "...789 (Maya Roth IRA)",
        "87654": "...654"}
    # no names (or the same name): their position in the list
    assert account_masks(["12345678", "X12345678"]) == {
        "12345678": "...678 (#1)", "X12345678": "...678 (#2)"}


def test_a_full_id_keeps_at_least_two_characters_hidden():
    # 87654 and 97654: four characters would leave one hidden; names decide instead
    assert account_masks(["87654", "97654"], {"87654": "A", "97654": "B"}) == {
        "87654": "...654 (A)", "97654": "...654 (B)"}


def test_masker_masks_whole_words_in_text_and_frames():
    m = AccountMasker.of(pd.DataFrame({"account": ["87654", "...789", "23456789"],
                                       "name": ["ACME 401(k)", "Alex Roth IRA", "Maya Roth IRA"]}))
    assert m.text("buy in 87654, not in 187654 or 876540; then 23456789 and ...789.") == (
        "buy in ...654, not in 187654 or 876540; then ...789 (Maya Roth IRA) and "
        "...789 (Alex Roth IRA).")
    assert m.label("23456789", "Maya Roth IRA") == "Maya Roth IRA (...789)"
    # a text that names the account before its id does not get the name twice
    assert m.text("cash of Maya Roth IRA (23456789) and of Alex Roth IRA (...789)") == (
        "cash of Maya Roth IRA (...789) and of Alex Roth IRA (...789)")
    assert m.label("87654", "ACME 401(k)") == "ACME 401(k) (...654)"
    assert m.account("55555555") == "...555"  # unknown ids get the plain rule
    df = pd.DataFrame({"account": ["87654", None], "reason": ["from 87654", "to 23456789"],
                       "amount": [1.0, 2.0]})
    out = m.frame(df)
    assert out["account"].tolist()[0] == "...654" and pd.isna(out["account"].iloc[1])
    assert out["reason"].tolist() == ["from ...654", "to ...789 (Maya Roth IRA)"]
    assert out["amount"].tolist() == [1.0, 2.0]
    assert df["account"].iloc[0] == "87654"  # the input is not changed
    off = AccountMasker.of(["87654"], enabled=False)
    assert off.text("from 87654") == "from 87654" and off.account("87654") == "87654"
