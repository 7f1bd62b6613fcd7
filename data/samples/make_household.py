"""Write the sample household's exports in the real layouts of each broker.

The Rivera household (married filing jointly) holds eight accounts at three custodians:

- Schwab: a joint taxable brokerage (...456) with lot detail (one Lot Details file per
  symbol, 42 lots mixing short- and long-term gains and losses, one same-account wash sale
  reported by Schwab), its 2026 transactions and realised gains; Alex's Roth IRA (...789).
- Fidelity: Maya's Rollover IRA, Alex's ACME 401(k) (a collective trust by CUSIP, a small
  fund menu whose international fund VTIAX tracks the same index as VXUS, bought by payroll
  every two weeks, and ACME employer stock), Maya's HSA and Maya's individual taxable account
  (X71234567, "INDIVIDUAL - TOD"), in one Portfolio_Positions file (July 2026 sentence-case
  header) and one Accounts_History file (July 2026 layout, with 401(k) workplace rows).
  Fidelity gives no lot file for the individual account: its lots are rebuilt from its full
  history since it opened in 2019 (``INDIVIDUAL_HISTORY``): FXAIX bought over several years
  with quarterly dividend reinvestments, NVDA bought, split 10-for-1 (Fidelity's
  ``DISTRIBUTION`` row of the 180 new shares) and partly sold, and 60 AAPL transferred in from
  another broker with no cost basis (so AAPL is "basis missing").
- Vanguard: Alex's Traditional IRA and Maya's Roth IRA in one OfxDownload.csv, including the
  balanced fund VBIAX (60/40, spans two classes) and a VXUS purchase on 2026-11-05, eight
  days after the joint account sold VXUS at a loss (a wash sale across accounts that makes
  part of the loss permanently lost).

Cash sits in every custodian's sweep; PTY (a closed-end fund the security master does not
know) is the unknown symbol. Run ``python data/samples/make_household.py`` to rewrite the
files; the golden expected outputs then change only on purpose (``make golden``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).parent / "household"
AS_OF = "11/20/2026"

# --- Schwab joint taxable: lots -----------------------------------------------------------
# symbol -> (description, price, [(open date, quantity, cost basis, disallowed loss)])
JOINT_LOTS = {
    "VTI": ("VANGUARD TOTAL STOCK MARKET ETF", 330.00, [
        ("03/15/2016", 50, 5210.00, 0), ("06/12/2017", 40, 4974.00, 0),
        ("12/24/2018", 30, 3567.00, 0), ("08/05/2019", 25, 3627.50, 0),
        ("03/23/2020", 60, 6738.00, 0), ("11/08/2021", 20, 4852.00, 0),
        ("01/03/2022", 15, 3622.50, 0), ("12/16/2024", 10, 3002.50, 0),
        ("12/01/2025", 8, 2704.00, 0),
        # 09/15/2026: 12 bought at $335.50; 10 of them replace the 10 sold at a $140 loss
        # on 09/01/2026, so Schwab adds the $140 to their basis (10 x 335.50 + 140 = 3,495)
        ("09/15/2026", 10, 3495.00, 140.00), ("09/15/2026", 2, 671.00, 0),
    ]),
    "VXUS": ("VANGUARD TOTAL INTL STOCK ETF", 72.00, [
        ("09/28/2015", 60, 2646.00, 0), ("06/27/2016", 50, 2140.00, 0),
        ("10/29/2018", 40, 2008.00, 0), ("03/16/2020", 70, 2796.50, 0),
        ("06/14/2021", 40, 2652.00, 0), ("02/22/2022", 30, 1803.00, 0),
        ("12/05/2025", 25, 1865.00, 0), ("06/08/2026", 35, 2586.50, 0),
    ]),
    "BND": ("VANGUARD TOTAL BOND MARKET ETF", 73.50, [
        ("05/13/2019", 60, 4854.00, 0), ("08/03/2020", 40, 3564.00, 0),
        ("03/08/2021", 50, 4260.00, 0), ("12/06/2021", 30, 2592.00, 0),
        ("09/26/2022", 40, 2924.00, 0), ("10/23/2023", 45, 3082.50, 0),
        ("06/22/2026", 20, 1458.00, 0), ("10/05/2026", 15, 1113.00, 0),
    ]),
    "VNQ": ("VANGUARD REAL ESTATE ETF", 92.00, [
        ("02/13/2017", 30, 2472.00, 0), ("07/08/2019", 25, 2190.00, 0),
        ("12/27/2021", 20, 2276.00, 0), ("04/18/2022", 15, 1623.00, 0),
        ("03/16/2026", 15, 1321.50, 0), ("08/10/2026", 15, 1414.50, 0),
    ]),
    "SCHD": ("SCHWAB US DIVIDEND EQUITY ETF", 28.50, [
        ("04/16/2018", 300, 4965.00, 0), ("11/04/2019", 150, 2790.00, 0),
        ("05/10/2021", 120, 3048.00, 0), ("03/28/2022", 100, 2690.00, 0),
        ("03/10/2025", 150, 4192.50, 0), ("04/06/2026", 80, 2088.00, 0),
    ]),
    "PTY": ("PIMCO CORPORATE & INCOME OPPORTUNITY FUND", 14.10, [
        ("09/16/2019", 200, 3440.00, 0), ("10/24/2022", 150, 1845.00, 0),
        ("02/09/2026", 150, 2190.00, 0),
    ]),
}
JOINT_CASH = 8420.55
ROTH_789 = [("SCHA", "SCHWAB US SMALL CAP ETF", 900, 27.00, 18900.00),
            ("SCHF", "SCHWAB INTERNATIONAL EQUITY ETF", 1200, 22.40, 21600.00)]
ROTH_789_CASH = 312.40


def money(x: float, *, plus: bool = False) -> str:
    sign = "-" if x < 0 else ("+" if plus and x > 0 else "")
    return f"{sign}${abs(x):,.2f}"


def pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def qty(x: float) -> str:
    return f"{x:,.4f}".rstrip("0").rstrip(".") if x != int(x) else f"{int(x):,}"


def quoted(cells) -> str:
    return ",".join(f'"{c}"' for c in cells)


def held(symbol: str) -> tuple[float, float]:
    lots = JOINT_LOTS[symbol][2]
    return sum(q for _, q, _, _ in lots), round(sum(b for _, _, b, _ in lots), 2)


def write(name: str, text: str, *, bom: bool = False, crlf: bool = False) -> None:
    p = HERE / name
    p.parent.mkdir(parents=True, exist_ok=True)
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


# --- Schwab --------------------------------------------------------------------------------
SCHWAB_HEADER = ["Symbol", "Description", "Price", "Qty (Quantity)",
                 "Price Chng $ (Price Change $)", "Price Chng % (Price Change %)",
                 "Mkt Val (Market Value)", "Day Chng $ (Day Change $)",
                 "Day Chng % (Day Change %)", "Cost Basis", "Gain $ (Gain/Loss $)",
                 "Gain % (Gain/Loss %)", "Ratings", "Reinvest?", "Reinvest Capital Gains?",
                 "% of Acct (% of Account)", "Asset Type"]


def schwab_block(label: str, holdings, cash: float) -> list[str]:
    n = len(SCHWAB_HEADER)
    total_mv = sum(q * p for _, _, q, p, _ in holdings) + cash
    total_cb = sum(b for *_, b in holdings)
    lines = [quoted([label] + [""] * (n - 1)), quoted(SCHWAB_HEADER)]
    for sym, desc, q, p, basis in holdings:
        mv = round(q * p, 2)
        lines.append(quoted([sym, desc, money(p), qty(q), "$0.00", "0.00%", money(mv), "$0.00",
                             "0.00%", money(basis), money(mv - basis, plus=True),
                             pct((mv - basis) / basis), "--", "No", "No", pct(mv / total_mv),
                             "ETFs & Closed End Funds"]))
    lines.append(quoted(["Cash & Cash Investments", "--", "--", "--", "--", "--", money(cash),
                         "$0.00", "0%", "--", "--", "--", "--", "--", "--",
                         pct(cash / total_mv), "Cash and Money Market"]))
    lines.append(quoted(["Account Total", "--", "--", "--", "--", "--", money(total_mv),
                         "$0.00", "0%", money(total_cb), money(total_mv - cash - total_cb,
                                                                plus=True),
                         "--", "--", "--", "--", "--", "--"]))
    return lines


def schwab_positions() -> None:
    n = len(SCHWAB_HEADER)
    joint = [(s, d, *held(s)[:1], p, held(s)[1]) for s, (d, p, _) in JOINT_LOTS.items()]
    lines = [quoted(["Positions for All-Accounts as of 10:15 AM ET, 2026/11/20"] + [""] * (n - 1)),
             quoted([""] * n)]
    lines += schwab_block("Joint Tenant ...456", joint, JOINT_CASH)
    lines += [quoted([""] * n), quoted([""] * n)]
    lines += schwab_block("Roth Contributory IRA ...789", ROTH_789, ROTH_789_CASH)
    write("schwab/All-Accounts-Positions-2026-11-20-101500.csv", "\n".join(lines) + "\n")


LOT_HEADER = ("Open Date", "Transaction Open", "Quantity", "Price", "Cost/Share",
              "Transaction CPS", "Market Value", "Cost Basis", "Transaction CB", "Gain/Loss $",
              "Transaction G/L $", "Gain/Loss %", "Transaction G/L %", "Holding Period",
              "Disallowed Loss")


def _long_term(open_date: str) -> bool:
    m, d, y = (int(x) for x in open_date.split("/"))
    # sold 2026-11-20: long-term when acquired on or before 2025-11-19
    return (y, m, d) <= (2025, 11, 19)


def schwab_lots() -> None:
    for sym, (_, price, lots) in JOINT_LOTS.items():
        lines = [f'"{sym} Lot Details for ...456 as of 10:15 AM ET, {AS_OF}"', "",
                 quoted(LOT_HEADER) + ","]
        for date, q, basis, disallowed in lots:
            mv = round(q * price, 2)
            lines.append(quoted([f"{date} 00:00:00", "--", qty(q), money(price),
                                 money(basis / q), "--", money(mv), money(basis), "--",
                                 money(mv - basis), "--", pct((mv - basis) / basis), "--",
                                 "Long Term" if _long_term(date) else "Short Term",
                                 money(disallowed) if disallowed else "--"]) + ",")
        tq, tb = held(sym)
        tmv = round(tq * price, 2)
        lines.append(quoted(["Total", "--", qty(tq), "--", "--", "--", money(tmv), money(tb),
                             "--", money(tmv - tb), "--", "--", "--", "--", "--"]) + ",")
        write(f"schwab/Joint_Tenant_XXX456_{sym}_Lot_Details_20261120-101500.csv",
              "\n".join(lines) + "\n")


def schwab_transactions() -> None:
    header = ["Date", "Action", "Symbol", "Description", "Quantity", "Price", "Fees & Comm",
              "Amount"]
    rows = [
        ("11/18/2026", "Qualified Dividend", "SCHD", JOINT_LOTS["SCHD"][0], "", "", "", 182.25),
        ("10/28/2026", "Sell", "VXUS", JOINT_LOTS["VXUS"][0], "40", 70.10, "", 2804.00),
        ("10/05/2026", "Buy", "BND", JOINT_LOTS["BND"][0], "15", 74.20, "", -1113.00),
        ("09/30/2026 as of 09/29/2026", "Bank Interest", "", "BANK INT 083126-092926 SCHWAB BANK",
         "", "", "", 12.40),
        ("09/29/2026", "Cash Dividend", "BND", JOINT_LOTS["BND"][0], "", "", "", 58.10),
        ("09/22/2026", "Qualified Dividend", "VTI", JOINT_LOTS["VTI"][0], "", "", "", 245.70),
        ("09/15/2026", "Buy", "VTI", JOINT_LOTS["VTI"][0], "12", 335.50, "", -4026.00),
        ("09/01/2026", "Sell", "VTI", JOINT_LOTS["VTI"][0], "10", 331.00, "", 3310.00),
        ("08/10/2026", "Buy", "VNQ", JOINT_LOTS["VNQ"][0], "15", 94.30, "", -1414.50),
        ("07/15/2026", "MoneyLink Transfer", "", "Tfr FIRST NATIONAL BANK", "", "", "", 5000.00),
        ("06/22/2026", "Buy", "BND", JOINT_LOTS["BND"][0], "20", 72.90, "", -1458.00),
        ("06/08/2026", "Buy", "VXUS", JOINT_LOTS["VXUS"][0], "35", 73.90, "", -2586.50),
        ("04/06/2026", "Buy", "SCHD", JOINT_LOTS["SCHD"][0], "80", 26.10, "", -2088.00),
        ("03/16/2026", "Buy", "VNQ", JOINT_LOTS["VNQ"][0], "15", 88.10, "", -1321.50),
        ("03/02/2026", "Buy", "VTI", JOINT_LOTS["VTI"][0], "10", 345.00, "", -3450.00),
        ("02/09/2026", "Buy", "PTY", JOINT_LOTS["PTY"][0], "150", 14.60, "", -2190.00),
        ("01/12/2026", "Buy", "VXUS", JOINT_LOTS["VXUS"][0], "40", 75.80, "", -3032.00),
        ("01/05/2026", "MoneyLink Transfer", "", "Tfr FIRST NATIONAL BANK", "", "", "", 10000.00),
    ]
    lines = [quoted(header)]
    for date, action, sym, desc, q, price, fees, amount in rows:
        lines.append(quoted([date, action, sym, desc, q, money(price) if price else "", fees,
                             money(amount)]))
    write("schwab/Joint_Tenant_XXX456_Transactions_20261120-101500.csv", "\n".join(lines) + "\n")


def schwab_realized() -> None:
    header = ("Symbol,Name,Closed Date,Opened Date,Quantity,Proceeds Per Share,Cost Per Share,"
              "Proceeds,Cost Basis (CB),Gain/Loss ($),Gain/Loss (%),Long Term Gain/Loss,"
              "Short Term Gain/Loss,Term,Unadjusted Cost Basis,Wash Sale?,Disallowed Loss,"
              "Transaction Closed Date,Transaction Cost Basis,Total Transaction Gain/Loss ($),"
              "Total Transaction Gain/Loss (%),LT Transaction Gain/Loss ($),"
              "LT Transaction Gain/Loss (%),ST Transaction Gain/Loss ($),"
              "ST Transaction Gain/Loss (%)")
    rows = [
        ("VTI", JOINT_LOTS["VTI"][0], "09/01/2026", "03/02/2026", 10, 331.00, 345.00, "Yes", 140.0),
        ("VXUS", JOINT_LOTS["VXUS"][0], "10/28/2026", "01/12/2026", 40, 70.10, 75.80, "No", 0.0),
    ]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    out.write("Realized Gain/Loss - Lot Details for All_Accounts as of Fri Nov 20  10:15:00 EST "
              "2026 from 01/01/2026 to 11/20/2026\n")
    out.write('"Joint Tenant ...456"\n')
    out.write(header + "\n")
    for sym, name, closed, opened, q, pps, cps, wash, disallowed in rows:
        proceeds, basis = round(q * pps, 2), round(q * cps, 2)
        gain = round(proceeds - basis, 2)
        w.writerow([sym, name, closed, opened, q, money(pps), money(cps), money(proceeds),
                    money(basis), money(gain), pct(gain / basis), "--", money(gain),
                    "Short Term", money(basis), wash,
                    money(disallowed) if disallowed else "--", "", "", "", "", "", "", "", ""])
    write("schwab/All_Accounts_GainLoss_Realized_Details_20261120-101500.csv", out.getvalue())


# --- Fidelity ------------------------------------------------------------------------------
FID_HEADER = ("Account number,Account name,Symbol,Description,Quantity,Last price,"
              "Last price change,Current value,Today's gain/loss dollar,"
              "Today's gain/loss percent,Total gain/loss dollar,Total gain/loss percent,"
              "Percent of account,Cost basis total,Average cost basis,Type")
# account, name, symbol, description, quantity, price, cost basis (None: unknown), type
FID_ROWS = [
    ("234567891", "ROLLOVER IRA", "SPAXX**", "HELD IN MONEY MARKET", None, None, 2145.33, None,
     "Cash"),
    ("234567891", "ROLLOVER IRA", "FXAIX", "FIDELITY 500 INDEX FUND", 400, 232.10, 54000.00,
     None, "Cash"),
    ("234567891", "ROLLOVER IRA", "FXNAX", "FIDELITY U.S. BOND INDEX FUND", 9000, 10.42,
     99000.00, None, "Cash"),
    ("234567891", "ROLLOVER IRA", "FSRNX", "FIDELITY REAL ESTATE INDEX FUND", 1500, 16.30,
     21000.00, None, "Cash"),
    ("234567891", "ROLLOVER IRA", "Pending activity", "", None, None, 150.00, None, ""),
    ("87654", "ACME CORP 401(K) PLAN", "59515R401", "VANG INST 500 INDEX TR", 780.5, 230.50,
     None, None, ""),
    ("87654", "ACME CORP 401(K) PLAN", "VTIAX", "VANG TOT INTL STK IDX ADM", 1200, 33.40,
     36400.00, None, ""),
    ("87654", "ACME CORP 401(K) PLAN", "FXNAX", "FID US BOND INDEX", 2900, 10.42, 30450.00,
     None, ""),
    ("87654", "ACME CORP 401(K) PLAN", "ACME", "ACME CORP COMMON STOCK", 1250, 68.40, 22500.00,
     None, ""),
    ("456789123", "HEALTH SAVINGS ACCOUNT", "FDRXX**", "HELD IN MONEY MARKET", None, None,
     1020.00, None, "Cash"),
    ("456789123", "HEALTH SAVINGS ACCOUNT", "FZROX", "FIDELITY ZERO TOTAL MARKET INDEX FUND",
     318.141, 22.15, 5800.00, None, "Cash"),
    # Maya's individual account: quantities and bases are what INDIVIDUAL_HISTORY leaves (FIFO)
    ("X71234567", "INDIVIDUAL - TOD", "SPAXX**", "HELD IN MONEY MARKET", None, None, 28519.01,
     None, "Cash"),
    ("X71234567", "INDIVIDUAL - TOD", "FXAIX", "FIDELITY 500 INDEX FUND", 337.829, 232.10,
     40426.36, None, "Cash"),
    ("X71234567", "INDIVIDUAL - TOD", "NVDA", "NVIDIA CORP", 135, 182.50, 6666.20, None,
     "Cash"),
    ("X71234567", "INDIVIDUAL - TOD", "AAPL", "APPLE INC", 60, 228.40, None, None, "Cash"),
]

# Maya's individual account (X71234567) since it opened: (run date, action, symbol,
# description, price, quantity, fees, amount, settlement date). Cash: deposits 59,000 - buys
# 46,904.80 + sale 16,406.86 + cash dividends 16.95 = 28,519.01 (the SPAXX balance above).
_FXAIX = ("FXAIX", "FIDELITY 500 INDEX FUND")
_NVDA = ("NVDA", "NVIDIA CORP")
_AAPL = ("AAPL", "APPLE INC")
_EFT = ("Electronic Funds Transfer Received (Cash)", "", "No Description")
INDIVIDUAL_HISTORY = [
    ("03-04-2019", *_EFT, "", "", "", "25000.00", ""),
    ("03-06-2019", "YOU BOUGHT FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "92.40", "150",
     "", "-13860.00", "03-07-2019"),
    ("11-12-2020", *_EFT, "", "", "", "10000.00", ""),
    ("11-16-2020", "YOU BOUGHT FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "124.50",
     "80", "", "-9960.00", "11-17-2020"),
    ("04-19-2021", "TRANSFER OF ASSETS ACAT RECEIVE APPLE INC (AAPL) (Cash)", *_AAPL, "", "60",
     "", "", ""),
    ("05-12-2022", *_EFT, "", "", "", "10000.00", ""),
    ("05-16-2022", "YOU BOUGHT NVIDIA CORP (NVDA) (Cash)", *_NVDA, "169.40", "12", "",
     "-2032.80", "05-18-2022"),
    ("06-21-2022", "YOU BOUGHT FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "128.20", "60",
     "", "-7692.00", "06-22-2022"),
    ("02-10-2023", *_EFT, "", "", "", "2000.00", ""),
    ("02-13-2023", "YOU BOUGHT NVIDIA CORP (NVDA) (Cash)", *_NVDA, "217.25", "8", "",
     "-1738.00", "02-15-2023"),
    ("03-08-2024", *_EFT, "", "", "", "7500.00", ""),
    ("03-12-2024", "YOU BOUGHT FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "180.05", "40",
     "", "-7202.00", "03-13-2024"),
    # 10-for-1: the 20 shares held receive 180 new ones
    ("06-10-2024", "DISTRIBUTION NVIDIA CORP (NVDA) (Cash)", *_NVDA, "", "180", "", "", ""),
    ("08-11-2025", "YOU SOLD NVIDIA CORP (NVDA) (Cash)", *_NVDA, "182.30", "-90", "0.14",
     "16406.86", "08-12-2025"),
    ("12-19-2025", "DIVIDEND RECEIVED FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "", "",
     "", "447.20", ""),
    ("12-19-2025", "REINVESTMENT FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "208.00",
     "2.150", "", "-447.20", ""),
    ("03-05-2026", *_EFT, "", "", "", "4500.00", ""),
    ("03-09-2026", "YOU BOUGHT NVIDIA CORP (NVDA) (Cash)", *_NVDA, "176.80", "25", "",
     "-4420.00", "03-10-2026"),
    ("04-01-2026", "DIVIDEND RECEIVED FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "", "",
     "", "426.56", ""),
    ("04-01-2026", "REINVESTMENT FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "215.00",
     "1.984", "", "-426.56", ""),
    ("07-01-2026", "DIVIDEND RECEIVED FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "", "",
     "", "420.00", ""),
    ("07-01-2026", "REINVESTMENT FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "224.00",
     "1.875", "", "-420.00", ""),
    ("08-14-2026", "DIVIDEND RECEIVED APPLE INC (AAPL) (Cash)", *_AAPL, "", "", "", "15.60", ""),
    ("10-01-2026", "DIVIDEND RECEIVED FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "", "",
     "", "418.60", ""),
    ("10-01-2026", "REINVESTMENT FIDELITY 500 INDEX FUND (FXAIX) (Cash)", *_FXAIX, "230.00",
     "1.820", "", "-418.60", ""),
    ("10-02-2026", "DIVIDEND RECEIVED NVIDIA CORP (NVDA) (Cash)", *_NVDA, "", "", "", "1.35", ""),
]


def fidelity_positions() -> None:
    totals: dict[str, float] = {}
    for acct, _, sym, _, q, p, basis, _, _ in FID_ROWS:
        if sym.startswith("Pending"):
            continue
        totals[acct] = totals.get(acct, 0.0) + (round(q * p, 2) if q is not None else basis)
    lines = [FID_HEADER]
    for acct, name, sym, desc, q, p, basis, _, typ in FID_ROWS:
        if sym.startswith("Pending"):
            cells = [acct, name, sym, "", "", "", "", money(basis), "", "", "", "", "", "", "",
                     ""]
        elif q is None:  # money market: only the value (2025-26 form)
            cells = [acct, name, sym, desc, "", "", "", money(basis), "", "", "", "",
                     pct(basis / totals[acct]), "", "", typ]
        else:
            mv = round(q * p, 2)
            gl = "" if basis is None else money(mv - basis, plus=True)
            glp = "" if basis is None else f"{(mv - basis) / basis * 100:+.2f}%"
            cells = [acct, name, sym, desc, qty(q), money(p), "+$0.00", money(mv), "+$0.00",
                     "+0.00%", gl, glp, pct(mv / totals[acct]),
                     "--" if basis is None else money(basis),
                     "--" if basis is None else money(basis / q), typ]
        lines.append(",".join(f'"{c}"' if "," in c else c for c in cells) + ",")
    lines += ["",
              '"The data and information in this spreadsheet is provided to you solely for your '
              'use and is not for distribution. The spreadsheet is provided for informational '
              'purposes only."',
              '"Brokerage services are provided by Fidelity Brokerage Services LLC (FBS), 900 '
              'Salem Street, Smithfield, RI 02917. Custody and other services provided by '
              'National Financial Services LLC (NFS), Member NYSE, SIPC."',
              "",
              '"Date downloaded Nov-20-2026 at 10:02 a.m ET"']
    write("fidelity/Portfolio_Positions_Nov-20-2026.csv", "\n".join(lines) + "\n", bom=True,
          crlf=True)


def fidelity_history() -> None:
    header = ("Run Date,Account,Account Number,Action,Symbol,Description,Type,Price ($),"
              "Quantity,Commission ($),Fees ($),Accrued Interest ($),Amount ($),Settlement Date")
    k = ("ACME CORP 401(K) PLAN", "87654")
    hsa = ("HEALTH SAVINGS ACCOUNT", "456789123")
    ira = ("ROLLOVER IRA", "234567891")
    rows = []
    # 401(k) payroll purchases (workplace rows: no symbol or type; shares written under
    # Price ($) and the price under Quantity, as Fidelity does, reds #182)
    for date, prices in (("11-13-2026", (230.55, 33.40, 10.42)),
                         ("10-30-2026", (228.90, 33.05, 10.40)),
                         ("10-16-2026", (226.40, 32.70, 10.38))):
        for (desc, amount), price in zip((("VANG INST 500 INDEX TR", 400.00),
                                          ("VANG TOT INTL STK IDX ADM", 150.00),
                                          ("FID US BOND INDEX", 100.00)), prices, strict=True):
            shares = round(amount / price, 3)
            rows.append((date, *k, "Contributions", "", desc, "", f"{shares:.3f}", f"{price:.2f}",
                         "", "", "", f"{amount:.2f}", ""))
    rows += [
        ("11-02-2026", *hsa, "CONTRIBUTION CURRENT YEAR EMPLOYEE (Cash)", "", "No Description",
         "Cash", "", "", "", "", "", "400.00", ""),
        ("11-03-2026", *hsa, "YOU BOUGHT FIDELITY ZERO TOTAL MARKET INDEX FUND (FZROX) (Cash)",
         "FZROX", "FIDELITY ZERO TOTAL MARKET INDEX FUND", "Cash", "22.05", "18.141", "", "",
         "", "-400.00", "11-04-2026"),
        ("10-31-2026", *ira, "DIVIDEND RECEIVED FIDELITY U.S. BOND INDEX FUND (FXNAX) (Cash)",
         "FXNAX", "FIDELITY U.S. BOND INDEX FUND", "Cash", "", "", "", "", "", "298.40", ""),
        ("10-31-2026", *ira, "REINVESTMENT FIDELITY U.S. BOND INDEX FUND (FXNAX) (Cash)",
         "FXNAX", "FIDELITY U.S. BOND INDEX FUND", "Cash", "10.44", "28.582", "", "", "",
         "-298.40", ""),
        ("09-30-2026", *ira, "DIVIDEND RECEIVED FIDELITY U.S. BOND INDEX FUND (FXNAX) (Cash)",
         "FXNAX", "FIDELITY U.S. BOND INDEX FUND", "Cash", "", "", "", "", "", "295.10", ""),
        ("09-30-2026", *ira, "REINVESTMENT FIDELITY U.S. BOND INDEX FUND (FXNAX) (Cash)",
         "FXNAX", "FIDELITY U.S. BOND INDEX FUND", "Cash", "10.47", "28.185", "", "", "",
         "-295.10", ""),
    ]
    ind = ("INDIVIDUAL - TOD", "X71234567")
    for date, action, sym, desc, price, q, fees, amount, settle in INDIVIDUAL_HISTORY:
        rows.append((date, *ind, action, sym, desc, "Cash", price, q, "", fees, "", amount,
                     settle))
    rows.sort(key=lambda r: (r[0][6:], r[0][:5]), reverse=True)
    lines = [header, ""]
    for r in rows:
        lines.append(",".join(f'"{c}"' for c in r))
    lines += ["", "", "",
              '"The data and information in this spreadsheet is provided to you solely for your '
              'use and is not for distribution."',
              '"Brokerage services are provided by Fidelity Brokerage Services LLC (FBS), 900 '
              'Salem Street, Smithfield, RI 02917."',
              "", '"Date downloaded 11/20/2026 10:05 am"']
    write("fidelity/Accounts_History.csv", "\n".join(lines) + "\n", bom=True)


# --- Vanguard ------------------------------------------------------------------------------
def vanguard() -> None:
    holdings = [
        ("12345678", "VANGUARD TOTAL BOND MARKET ETF", "BND", "1200", "73.50", "88200.00"),
        ("12345678", "VANGUARD TOTAL INTERNATIONAL BOND ETF", "BNDX", "800", "49.50", "39600.00"),
        ("12345678", "Vanguard Federal Money Market Fund", "VMFXX", "1500.00", "1.0", "1500.00"),
        None,
        ("23456789", "VANGUARD BALANCED INDEX FUND ADMIRAL", "VBIAX", "1006.2", "50.00",
         "50310.00"),
        ("23456789", "VANGUARD TOTAL INTL STOCK INDEX ETF", "VXUS", "300", "72.00", "21600.00"),
        ("23456789", "Vanguard Federal Money Market Fund", "VMFXX", "250.00", "1.0", "250.00"),
    ]
    txns = [
        ("23456789", "2026-11-05", "2026-11-06", "Buy", "Buy",
         "VANGUARD TOTAL INTL STOCK INDEX ETF", "VXUS", "30.0", "71.20", "-2136.00", "0.0",
         "-2136.00"),
        ("12345678", "2026-10-01", "2026-10-01", "Dividend", "Dividend Received",
         "VANGUARD TOTAL BOND MARKET ETF", "BND", "0.0", "0.0", "245.00", "0.0", "245.00"),
        ("12345678", "2026-10-01", "2026-10-01", "Reinvestment", "Dividend Reinvestment",
         "VANGUARD TOTAL BOND MARKET ETF", "BND", "3.3333", "73.50", "-245.00", "0.0",
         "-245.00"),
        ("23456789", "2026-09-28", "2026-09-28", "Dividend", "Dividend Received",
         "VANGUARD BALANCED INDEX FUND ADMIRAL", "VBIAX", "0.0", "0.0", "310.00", "0.0",
         "310.00"),
        ("23456789", "2026-09-28", "2026-09-28", "Reinvestment", "Dividend Reinvestment",
         "VANGUARD BALANCED INDEX FUND ADMIRAL", "VBIAX", "6.2", "50.00", "-310.00", "0.0",
         "-310.00"),
        ("23456789", "2026-04-13", "2026-04-14", "Buy", "Buy",
         "VANGUARD BALANCED INDEX FUND ADMIRAL", "VBIAX", "100.0", "48.90", "-4890.00", "0.0",
         "-4890.00"),
        ("23456789", "2026-04-10", "2026-04-10", "Funds Received",
         "Funds received via Electronic Bank Transfer", "CASH", "", "0.0", "0.0", "7500.00",
         "0.0", "7500.00"),
    ]
    lines = ["Account Number,Investment Name,Symbol,Shares,Share Price,Total Value,"]
    for h in holdings:
        lines.append("" if h is None else ",".join(h) + ",")
    lines += ["", "", ""]
    lines.append("Account Number,Trade Date,Settlement Date,Transaction Type,"
                 "Transaction Description,Investment Name,Symbol,Shares,Share Price,"
                 "Principal Amount,Commissions and Fees,Net Amount,Accrued Interest,"
                 "Account Type,")
    for t in txns:
        lines.append(",".join(t) + ",0.0,CASH,")
    write("vanguard/OfxDownload.csv", "\n".join(lines) + "\n")


def main() -> None:
    schwab_positions()
    schwab_lots()
    schwab_transactions()
    schwab_realized()
    fidelity_positions()
    fidelity_history()
    vanguard()
    print(f"wrote sample household exports under {HERE}")


if __name__ == "__main__":
    main()
