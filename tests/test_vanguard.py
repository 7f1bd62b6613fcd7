"""Vanguard OfxDownload.csv: holdings blocks, settlement fund, T-bills, both transaction
headers, action vocabulary and signs, 401(k) plan and 529/mutual-fund sections, errors."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError
from toolkit.io import load_export
from toolkit.io.vanguard import ACTIONS, fund_symbols

HOLD = "Account Number,Investment Name,Symbol,Shares,Share Price,Total Value,"
OLD = ("Account Number,Trade Date,Settlement Date,Transaction Type,Transaction Description,"
       "Investment Name,Symbol,Shares,Share Price,Principal Amount,Commission Fees,Net Amount,"
       "Accrued Interest,Account Type,")
NEW = OLD.replace("Commission Fees", "Commissions and Fees")
PLAN_HOLD = "Plan Number,Plan Name,Fund Name,Shares,Price,Total Value,"
PLAN_TX = ("Account Number,Trade Date,Run Date,Transaction Activity,Transaction Description,"
           "Investment Name,Share Price,Transaction Shares,Dollar Amount,")
FUND_HOLD = "Fund Account Number,Fund Name,Price,Shares,Total Value,"
FUND_TX = ("Account Number,Trade Date,Process Date,Transaction Type,Transaction Description,"
           "Investment Name,Share Price,Shares,Gross Amount,Net Amount,")

HOLDINGS = [
    HOLD,                                                                       # line 1
    "23456789,VANGUARD TOTAL STOCK MARKET ETF,VTI,40.5,250.10,10129.05,",        # 2
    "23456789,U S TREASURY BILL CPN  0.00000 % MTD 2025-03-13 DTD 2024-09-12,,10000,"
    "98.7654,9876.54,",                                                          # 3
    "23456789,Vanguard Federal Money Market Fund,VMFXX,1520.33000,1.0,1520.33000,",  # 4
    "",                                                                          # 5
    "34567890,VANGUARD TOTAL INTL STOCK INDEX FUND ETF,VXUS,100,61.20,6120.00,",  # 6
    "34567890,Vanguard Federal Money Market Fund,VMFXX,12.5,1.0,12.50,",         # 7
]


def tx_rows(iso: bool) -> list[str]:
    def d(us: str) -> str:
        m, day, y = us.split("/")
        return f"{y}-{m}-{day}" if iso else us

    acct = "CASH" if iso else "Cash"
    return [
        f"23456789,{d('03/14/2025')},{d('03/14/2025')},Corp Action (Redemption),Redemption,"
        f"U S TREASURY BILL CPN  0.00000 % MTD 2025-03-13 DTD 2024-09-12,,5000.0,0.0,5000.00,"
        f"0.0,5000.00,0.0,{acct},",
        f"23456789,{d('03/10/2025')},{d('03/11/2025')},Sell,Sell,VANGUARD TOTAL STOCK MARKET ETF,"
        f"VTI,3.0,260.00,780.00,1.50,778.50,0.0,{acct},",
        f"23456789,{d('03/03/2025')},{d('03/04/2025')},Buy,Buy,VANGUARD TOTAL STOCK MARKET ETF,"
        f"VTI,2.0,255.00,-510.00,0.0,-510.00,0.0,{acct},",
        f"23456789,{d('03/03/2025')},{d('03/03/2025')},Sweep out,Sweep Out Of Settlement Fund,"
        f"VANGUARD FEDERAL MONEY MARKET FUND,,0.0,1.0,510.00,0.0,510.00,0.0,{acct},",
        f"23456789,{d('02/28/2025')},{d('02/28/2025')},Dividend,Dividend Received,"
        f"VANGUARD FEDERAL MONEY MARKET FUND,,0.0,0.0,4.21,0.0,4.21,0.0,{acct},",
        f"23456789,{d('02/28/2025')},{d('02/28/2025')},Reinvestment,Dividend Reinvestment,"
        f"VANGUARD FEDERAL MONEY MARKET FUND,,0.0,1.0,-4.21,0.0,-4.21,0.0,{acct},",
        f"23456789,{d('01/02/2025')},{d('01/03/2025')},Buy,Buy,U S TREASURY BILL CPN  0.00000 % "
        f"MTD 2025-03-13 DTD 2024-09-12,,5000.0,98.5,-4925.00,0.0,-4925.00,0.0,{acct},",
        f"34567890,{d('12/20/2024')},{d('12/20/2024')},Dividend,Dividend Received,"
        f"VANGUARD TOTAL INTL STOCK INDEX FUND ETF,VXUS,0.0,1.0,55.10,0.0,55.10,0.0,{acct},",
        f"34567890,{d('12/20/2024')},{d('12/20/2024')},Reinvestment,Dividend Reinvestment,"
        f"VANGUARD TOTAL INTL STOCK INDEX FUND ETF,VXUS,0.9,61.222,-55.10,0.0,-55.10,0.0,{acct},",
        f"34567890,{d('12/02/2024')},{d('12/02/2024')},Funds Received,"
        f"Funds received via Electronic Bank Transfer,CASH,,0.0,0.0,2000.00,0.0,2000.00,0.0,"
        f"{acct},",
    ]


def content(iso: bool = False, extra: list[str] | None = None) -> str:
    header = NEW if iso else OLD
    lines = [*HOLDINGS, "", "", "", header, *tx_rows(iso), *(extra or []), "", ""]
    return "\n".join(lines) + "\n"


def test_holdings_blocks_cash_and_treasury_bill(write):
    e = load_export(write("OfxDownload.csv", content()))
    assert e.format == "vanguard_ofxdownload"
    assert e.custodian == "vanguard"
    assert e.as_of is None
    pos = e.positions
    assert pos["account"].tolist() == ["23456789"] * 3 + ["34567890"] * 2
    assert pos["symbol"].tolist() == ["VTI", "TBILL:2025-03-13", "VMFXX", "VXUS", "VMFXX"]
    assert pos["source_line"].tolist() == [2, 3, 4, 6, 7]
    assert pos["quantity"].tolist() == [40.5, 10000.0, 1520.33, 100.0, 12.5]
    # T-bill price is quoted per $100 face: 98.7654 -> 0.987654 per $1 of face
    assert pos["price"].tolist() == pytest.approx([250.10, 0.987654, 1.0, 61.20, 1.0])
    assert pos["market_value"].tolist() == [10129.05, 9876.54, 1520.33, 6120.00, 12.50]
    assert pos["asset_class"].fillna("").tolist() == ["", "", "cash", "", "cash"]
    assert pos["security_type"].fillna("").tolist() == ["", "treasury", "money_market", "",
                                                        "money_market"]
    cash = pos.iloc[2]
    assert (cash["cost_basis"], cash["market_value"]) == (1520.33, 1520.33)
    assert pos["cost_basis"].isna().tolist() == [True, True, False, True, False]
    assert pos["description"].iloc[1] == (
        "U S TREASURY BILL CPN  0.00000 % MTD 2025-03-13 DTD 2024-09-12")
    assert e.accounts["account"].tolist() == ["23456789", "34567890"]
    assert e.accounts["custodian"].tolist() == ["vanguard", "vanguard"]
    assert e.accounts["name"].isna().all()  # Vanguard names no brokerage account
    assert e.skipped.empty


@pytest.mark.parametrize("iso", [False, True], ids=["old_header_us_dates", "new_header_iso"])
def test_transactions_both_headers(write, iso):
    e = load_export(write("OfxDownload.csv", content(iso), crlf=iso))
    t = e.transactions
    assert t["source_line"].tolist() == list(range(12, 22))
    assert t["action"].tolist() == ["sell", "sell", "buy", "other", "dividend", "other", "buy",
                                    "dividend", "reinvest", "contribution"]
    assert t["action_text"].tolist()[:4] == ["Corp Action (Redemption)", "Sell", "Buy",
                                             "Sweep out"]
    assert t["date"].dt.strftime("%Y-%m-%d").tolist()[:3] == ["2025-03-14", "2025-03-10",
                                                              "2025-03-03"]
    assert t["settle_date"].dt.strftime("%Y-%m-%d").iloc[1] == "2025-03-11"
    assert t["symbol"].fillna("").tolist() == [
        "TBILL:2025-03-13", "VTI", "VTI", "VMFXX", "VMFXX", "VMFXX", "TBILL:2025-03-13",
        "VXUS", "VXUS", ""]
    # the redemption is written unsigned: a sale delivers shares
    # rows that move no shares carry no quantity (missing, shown here as -99)
    assert t["quantity"].fillna(-99).tolist() == [-5000.0, -3.0, 2.0, -99, -99, -99, 5000.0, -99,
                                                  0.9, -99]
    # settlement-fund moves (sweep out, zero-share VMFXX reinvestment) carry amount 0
    assert t["amount"].tolist() == [5000.0, 778.5, -510.0, 0.0, 4.21, 0.0, -4925.0, 55.1,
                                    -55.1, 2000.0]
    assert t["fees"].tolist() == [0.0, 1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    # price only where shares move and it is not 0; T-bill price per $1 of face
    assert pd.isna(t["price"].iloc[0])  # the redemption is written at price 0.0
    assert t["price"].iloc[1:3].tolist() == [260.0, 255.0]
    assert t["price"].iloc[6] == pytest.approx(0.985)
    assert t["price"].iloc[3:6].isna().all()
    assert t["description"].iloc[9] == "Funds received via Electronic Bank Transfer"
    assert e.notes == [
        "2 settlement-fund row(s) (sweeps, and buys/sells/reinvestments of VMFXX) moved "
        "$514.21 between core cash and the settlement fund; loaded as action 'other' with "
        "amount 0 (both sides are cash)"]


def test_both_headers_give_identical_frames(write):
    old = load_export(write("a.csv", content(False)))
    new = load_export(write("b.csv", content(True)))
    cols = [c for c in old.transactions.columns if c != "source_file"]
    pd.testing.assert_frame_equal(old.transactions[cols], new.transactions[cols])


def one_row(kind: str, shares: str = "1.0", amount: str = "-10.00", symbol: str = "VTI",
            name: str = "VANGUARD TOTAL STOCK MARKET ETF") -> str:
    return (f"23456789,2025-01-02,2025-01-03,{kind},{kind},{name},{symbol},{shares},10.0,"
            f"{amount},0.0,{amount},0.0,CASH,")


@pytest.mark.parametrize(("kind", "action"), sorted(ACTIONS.items()))
def test_every_mapped_transaction_type(write, kind, action):
    text_kind = kind.capitalize() if kind != "corp action (redemption)" else "Corp Action (Redemption)"
    body = "\n".join([HOLD, "23456789,X,VTI,1,1,1,", "", NEW, one_row(text_kind)]) + "\n"
    t = load_export(write("o.csv", body)).transactions
    assert t["action"].tolist() == [action.value]
    assert t["action_text"].tolist() == [text_kind]


@pytest.mark.parametrize(("kind", "shares", "action", "qty"), [
    ("Exchange", "2.0", "buy", 2.0),
    ("Exchange", "-2.0", "sell", -2.0),
    ("Exchange", "0.0", "other", None),
    ("Sell", "4.0", "sell", -4.0),               # unsigned sale made negative
    ("Transfer (outgoing)", "7.0", "transfer_out", -7.0),
    ("Transfer (incoming)", "-7.0", "transfer_in", 7.0),
    ("Corp Action (Spinoff)", "3.0", "other", 3.0),
    ("Stock split", "-1.5", "split", -1.5),      # signed as written
    ("CAPITAL GAIN (LT)", "0.0", "capital_gain", None),  # case-insensitive
])
def test_signs_and_unmapped_types(write, kind, shares, action, qty):
    body = "\n".join([NEW, one_row(kind, shares=shares)]) + "\n"
    t = load_export(write("o.csv", body)).transactions
    q = t["quantity"].iloc[0]
    assert (t["action"].iloc[0], None if pd.isna(q) else q, t["action_text"].iloc[0]) == (
        action, qty, kind)


def test_empty_symbol_takes_the_symbol_of_a_holding_with_that_name(write):
    body = "\n".join([HOLD, "23456789,Vanguard Wellesley Income Fund Admiral Shares,VWIAX,"
                            "10,60,600,", "", "", NEW,
                      one_row("Dividend", "0.0", "12.00", "",
                              "VANGUARD WELLESLEY INCOME FUND ADMIRAL SHARES")]) + "\n"
    t = load_export(write("o.csv", body)).transactions
    assert t["symbol"].tolist() == ["VWIAX"]


def test_settlement_fund_buy_is_a_move_not_a_purchase(write):
    body = "\n".join([NEW, one_row("Buy", "250.0", "-250.00", "VMFXX",
                                   "Vanguard Federal Money Market Fund")]) + "\n"
    e = load_export(write("o.csv", body))
    t = e.transactions
    assert (t["action"].iloc[0], t["quantity"].iloc[0], t["amount"].iloc[0]) == (
        "other", 250.0, 0.0)
    assert e.notes[0] == (
        "1 settlement-fund row(s) (sweeps, and buys/sells/reinvestments of VMFXX) moved $250.00 "
        "between core cash and the settlement fund; loaded as action 'other' with amount 0 "
        "(both sides are cash)"
    )


def test_holdings_without_symbol_are_reported(write):
    body = "\n".join([
        HOLD,
        "23456789,U S TREASURY NOTE CPN  4.25000 % MTD 2027-02-15,,2000,99.5,1990.00,",
        "23456789,U S TREASURY BILL NO MATURITY GIVEN,,1000,99,990.00,",
        "23456789,VANGUARD TOTAL BOND MARKET ETF,BND,10,72,,",
        "23456789,VANGUARD TOTAL STOCK MARKET ETF,VTI,1,250,250,",
    ]) + "\n"
    e = load_export(write("o.csv", body))
    assert e.positions["symbol"].tolist() == ["VTI"]
    assert e.skipped["line"].tolist() == [2, 3, 4]
    assert e.skipped["reason"].tolist() == [
        "holding has no symbol (Vanguard gives no ticker or CUSIP for it) (value 1,990.00)",
        "Treasury bill without a maturity date in its description (value 990.00)",
        "row has no total value",
    ]


def test_treasury_bill_maturity_without_mtd_is_first_non_dated_date(write):
    body = "\n".join([HOLD, "23456789,U S TREASURY BILL CPN  0.00000 % 2025-06-05 DTD "
                            "2024-12-05,,1000,99.1,991.00,"]) + "\n"
    e = load_export(write("o.csv", body))
    assert e.positions["symbol"].tolist() == ["TBILL:2025-06-05"]
    assert e.positions["security_type"].tolist() == ["treasury"]


PLAN = [
    PLAN_HOLD,                                                                       # 1
    "076545,ACME CORP 401(K) PLAN,Vanguard Target Retirement 2050 Trust II,812.337,"
    "45.12000000,36652.65,",                                                         # 2
    "076545,ACME CORP 401(K) PLAN,Vanguard 500 Index Fund Admiral (VFIAX),10.000,"
    "500.00000000,5000.00,",                                                         # 3
    "",                                                                              # 4
    "",                                                                              # 5
    PLAN_TX,                                                                         # 6
    "076545,01/15/2025,01/16/2025,CONTRIB,Plan Contribution,Target Retire 2050 Tr II,45.00,"
    "11.111,500.00,",                                                                # 7
    "076545,01/15/2025,01/16/2025,DIV,Dividends on Equity Investments,"
    "500 Index Admiral (VFIAX),498.00,0.2,99.60,",                                   # 8
    "076545,01/20/2025,01/21/2025,FEE,Recordkeeping Fee,Target Retire 2050 Tr II,45.50,"
    "-0.1,-4.55,",                                                                   # 9
    "076545,01/22/2025,01/23/2025,XFER,Fund to Fund Out,Target Retire 2050 Tr II,45.60,"
    "-10,-456.00,",                                                                  # 10
    "076545,01/22/2025,01/23/2025,XFER,Fund to Fund In,500 Index Admiral (VFIAX),456.00,1,"
    "456.00,",                                                                       # 11
    "076545,01/23/2025,01/23/2025,ADJ,Something New,Target Retire 2050 Tr II,45.60,0,"
    "0.00,",                                                                         # 12
]


def test_plan_sections(write):
    e = load_export(write("OfxDownload.csv", "\n".join(PLAN) + "\n"))
    pos = e.positions
    assert pos["account"].tolist() == ["076545", "076545"]  # leading zero kept
    assert pos["symbol"].tolist() == ["Vanguard Target Retirement 2050 Trust II", "VFIAX"]
    assert pos["description"].tolist() == ["Vanguard Target Retirement 2050 Trust II",
                                           "Vanguard 500 Index Fund Admiral (VFIAX)"]
    assert pos["quantity"].tolist() == [812.337, 10.0]
    assert pos["market_value"].sum() == pytest.approx(41652.65)
    assert e.accounts.to_dict(orient="records") == [
        {"account": "076545", "name": "ACME CORP 401(K) PLAN", "custodian": "vanguard"}]
    t = e.transactions
    assert t["source_line"].tolist() == [7, 7, 8, 8, 9, 9, 10, 11, 12]
    assert t["action"].tolist() == ["contribution", "buy", "dividend", "reinvest", "fee",
                                    "sell", "sell", "buy", "other"]
    assert t["quantity"].fillna(-99).tolist() == [-99, 11.111, -99, 0.2, -99, -0.1, -10.0,
                                                  1.0, -99]
    assert t["amount"].tolist() == [500.0, -500.0, 99.6, -99.6, -4.55, 4.55, 456.0, -456.0,
                                    0.0]
    assert t["symbol"].tolist() == ["Target Retire 2050 Tr II"] * 2 + ["VFIAX"] * 2 + [
        "Target Retire 2050 Tr II"] * 3 + ["VFIAX", "Target Retire 2050 Tr II"]
    assert t["action_text"].tolist()[0] == "Plan Contribution"
    assert t["settle_date"].dt.strftime("%Y-%m-%d").iloc[0] == "2025-01-16"
    # cash nets to zero inside the plan except for the money legs
    assert t["amount"].sum() == pytest.approx(0.0)


def test_plan_rollovers_in_and_out(write):
    body = "\n".join([PLAN_TX,
                      "076545,02/03/2025,02/03/2025,RO,Rollover In,500 Index Admiral (VFIAX),"
                      "450.00,10,4500.00,",
                      "076545,02/04/2025,02/04/2025,RO,Rollover Out,500 Index Admiral (VFIAX),"
                      "450.00,-2,-900.00,"]) + "\n"
    t = load_export(write("o.csv", body)).transactions
    assert t["action"].tolist() == ["transfer_in", "buy", "transfer_out", "sell"]
    assert t["amount"].tolist() == [4500.0, -4500.0, -900.0, 900.0]
    assert t["quantity"].fillna(0).tolist() == [0.0, 10.0, 0.0, -2.0]


def test_fund_symbols():
    names = pd.Series(["Vanguard 500 Index Fund Admiral (VFIAX)", "Target  2045 Trust (II)",
                       "ACME 401(K) Stable Value", None], dtype="str")
    assert fund_symbols(names).fillna("<NA>").tolist() == [
        "VFIAX", "Target 2045 Trust (II)", "ACME 401(K) Stable Value", "<NA>"]


def test_529_and_mutual_fund_sections(write):
    body = "\n".join([
        FUND_HOLD,                                                                   # 1
        "0584-12345678,Vanguard Total Bond Market Index Fund Admiral Shares,9.49,100,"
        "$949.00,",                                                                  # 2
        "208182839-01,Vanguard Target Enrollment 2036/2037 Portfolio,$31.02,10.5,"
        "\"$1,325.71\",",                                                            # 3
        "",
        "",
        FUND_TX,                                                                     # 6
        "12345678,2025-01-31,2025-01-31,Dividend Received,INCOME DIVIDEND,"
        "Total Bond Mkt Index Adm,9.76,0.5,4.88,4.88,",                              # 7
    ]) + "\n"
    e = load_export(write("OfxDownload.csv", body))
    assert e.positions["account"].tolist() == ["12345678", "208182839-01"]
    assert e.positions["market_value"].tolist() == [949.0, 1325.71]
    assert e.positions["price"].tolist() == [9.49, 31.02]
    assert e.positions["symbol"].tolist() == [
        "Vanguard Total Bond Market Index Fund Admiral Shares",
        "Vanguard Target Enrollment 2036/2037 Portfolio"]
    assert e.transactions.empty
    assert e.skipped["line"].tolist() == [7]
    assert e.skipped["reason"].tolist() == [
        "529/mutual-fund transactions section: not loaded (its sign conventions are "
        "undocumented)"]
    assert e.notes == ["1 fund account number(s) written <fund>-<account> were loaded under "
                       "the account number after the dash"]


@pytest.mark.parametrize(("name", "as_of"), [
    ("OfxDownload.csv", None),
    ("OfxDownload (1).csv", None),
    ("OfxDownload_2024-07-19.csv", pd.Timestamp("2024-07-19")),
    ("OfxDownload 07-19-2024.csv", pd.Timestamp("2024-07-19")),
    ("OfxDownload_20240719.csv", pd.Timestamp("2024-07-19")),
    ("OfxDownload_2024-13-45.csv", None),
])
def test_as_of_only_from_a_date_in_the_file_name(write, name, as_of):
    assert load_export(write(name, content())).as_of == as_of


def test_detected_by_content_not_name(write):
    assert load_export(write("whatever.txt", content())).format == "vanguard_ofxdownload"


def test_transactions_only_file(write):
    e = load_export(write("o.csv", "\n".join([NEW, *tx_rows(True)]) + "\n"))
    assert len(e.transactions) == 10
    assert e.positions.empty


def test_data_like_line_before_first_table_is_reported(write):
    e = load_export(write("o.csv", "some,stray,row\n" + content()))
    assert e.skipped["line"].tolist() == [1]
    assert e.skipped["reason"].tolist() == ["data-like line before the first Vanguard table"]
    assert e.positions["source_line"].iloc[0] == 3


def test_missing_required_column(write):
    header = NEW.replace("Net Amount,", "")
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("o.csv", "\n".join([HOLD, "1,X,VTI,1,1,1,", "", header]) + "\n"))
    assert (exc.value.line, exc.value.column) == (4, "Net Amount")


def test_bad_cell_names_line_and_column(write):
    rows = tx_rows(False)
    rows[2] = rows[2].replace(",2.0,255.00,", ",two,255.00,")
    e = load_export(write("o.csv", "\n".join([*HOLDINGS, "", OLD, *rows]) + "\n"))
    assert 12 not in e.transactions["source_line"].tolist()
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 12, "reason": "cannot read Shares 'two': expected a number"}]


def test_bad_date_names_line_and_column(write):
    rows = tx_rows(True)
    rows[1] = rows[1].replace("2025-03-10", "2025-02-30", 1)
    e = load_export(write("o.csv", "\n".join([NEW, *rows]) + "\n"))
    assert 3 not in e.transactions["source_line"].tolist()
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 3, "reason": "cannot read Trade Date '2025-02-30': expected a date"}]


def test_truncated_mid_row(write):
    text = content().rstrip("\n")
    cut = text[: text.rindex("Funds received")] + '"Funds rec'
    with pytest.raises(FormatError) as exc:
        load_export(write("o.csv", cut))
    assert exc.value.line == 21


def test_truncated_row_with_missing_cells(write):
    text = content().rstrip("\n")
    cut = text[: text.rindex(",CASH,,0.0")]
    with pytest.raises(FormatError) as exc:
        load_export(write("o.csv", cut))
    assert exc.value.line == 21
    assert exc.value.message == ("row has 5 cells but the header needs 12; the file looks "
                                 "truncated or the row is malformed")


def test_headers_without_rows(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("o.csv", HOLD + "\n\n\n" + OLD + "\n"))
    assert exc.value.message == "the file has Vanguard headers but no rows; it looks truncated"


def test_empty_and_binary_files(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("OfxDownload.csv", ""))
    assert exc.value.message == "the file is empty; expected a brokerage export"
    with pytest.raises(FormatError) as exc:
        load_export(write("OfxDownload.csv", b"\x00\x01\x02binary"),
                    format="vanguard_ofxdownload")
    assert exc.value.message == "format 'vanguard_ofxdownload' reads text files, but this file is binary data"


def test_shared_reference_file(shared_samples):
    e = load_export(shared_samples / "vanguard__bankroll__vanguard_positions_and_transactions.csv")
    # Holdings by hand (lines 2-7): 7481.00 + 2653.60 + 10970.96 + 7462.89 + 4987.65 (T-bill)
    # + 543.21 (VMFXX) = 34099.31
    assert e.positions["market_value"].sum() == pytest.approx(34099.31)
    assert e.positions["symbol"].tolist() == ["VT", "VWO", "VOO", "VTI", "TBILL:2017-04-10",
                                              "VMFXX"]
    assert e.positions.loc[e.positions["asset_class"] == "cash", "symbol"].tolist() == ["VMFXX"]
    # Transactions, lines 12-29 (18 rows), by Transaction Type:
    #   Buy x5 (VT, T-bill 03-10, VTI, T-bill 04-10, VMFXX) -> 4 buys; the VMFXX buy is a
    #   settlement-fund move -> other; Sell + Corp Action (Redemption) -> 2 sells;
    #   Dividend x4; Reinvestment x3; Sweep in -> other; Funds Received -> contribution;
    #   Withdrawal; Transfer (outgoing).
    counts = e.transactions["action"].value_counts().to_dict()
    assert counts == {"buy": 4, "dividend": 4, "reinvest": 3, "sell": 2, "other": 2,
                      "transfer_out": 1, "contribution": 1, "withdrawal": 1}
    # Net Amounts without the two moves (-12.34 sweep, -543.21 VMFXX buy):
    # 9987.65 + 43.21 + 0 - 703.30 + 1234.50 + 29.35 - 20.15 + 23.45 - 17.48 - 9934.56
    # + 1234.56 + 65.43 - 54.32 - 12345.67 - 3456.78 - 4966.05 = -18880.16
    assert e.transactions["amount"].sum() == pytest.approx(-18880.16)
    # the transfer out of the T-bill maturing 2017-04-10 links to the holding
    xfer = e.transactions[e.transactions["action"] == "transfer_out"].iloc[0]
    assert (xfer["symbol"], xfer["quantity"], xfer["source_line"]) == (
        "TBILL:2017-04-10", -10000.0, 14)
    assert e.skipped.empty
    assert e.as_of is None
