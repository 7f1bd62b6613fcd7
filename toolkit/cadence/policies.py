"""Rebalancing policies: when to look, when to act, and where to trade back to.

Every policy is a frozen dataclass. The simulator (:func:`toolkit.cadence.simulate`) asks it
three things through :meth:`spec`: which months it *checks* the household; at a check,
whether it *acts* (always, or only when a class is outside a trigger band); and its
*destination* (back to target, or back to a band edge). At every check the household's new
money (planned contributions and the month's income) goes to underweight classes first; in
other months it buys each account's current mix. When a policy acts it then trades in the
order of the seed recommendation: (1) cash flows to underweight classes, (2) trades inside
tax-advantaged accounts (no tax), (3) sales in taxable accounts only if the household is still
outside the policy's tolerance band, least tax first.

Policies
--------
:class:`Calendar`
    Check on a calendar (monthly, quarterly, annual) and always rebalance.
:class:`Threshold`
    Check every month; act only when a class is outside the band.
:class:`Hybrid`
    Check on a calendar; act only when outside the band (Vanguard Personal Advisor's
    "time-and-threshold": quarterly, 5 pp).
:class:`Opportunistic`
    Look often, trade rarely and little: only the classes outside a wide band, and only back
    to an inner band, not to target. Daryanani (2008), "Opportunistic Rebalancing: A New
    Paradigm for Wealth Managers", *Journal of Financial Planning* (January): bands of 20% of
    the target, looked at every two weeks, rebalancing only the out-of-balance classes back to
    the nearer edge of a tolerance band half as wide (the defaults here, with a monthly look).
    Vanguard (December 19, 2024), "Balancing act: Enhancing target-date fund efficiency" / *The
    Rebalancing Edge*: the "200/175" rule for its target-date funds, trigger at 200 basis points
    from target and trade back to 175 bp (:meth:`Opportunistic.vanguard_200_175`).
:class:`SeedRecommendation`
    Contributions and income to underweight classes every month; once a year a full review back
    to target, selling in taxable accounts only if the household is still outside the
    tolerance band after the cash flows and the tax-free trades.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.allocation import Band

__all__ = ["Calendar", "Hybrid", "Opportunistic", "PolicySpec", "SeedRecommendation",
           "Threshold"]

FREQUENCIES = {"monthly": 1, "quarterly": 3, "annual": 12}
DESTINATIONS = ("target", "band")


def _check_freq(name: str, value: str) -> None:
    if value not in FREQUENCIES:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(FREQUENCIES)}")


def _check_to(value: str) -> None:
    if value not in DESTINATIONS:
        raise ValueError(f"to={value!r}: expected 'target' or 'band'")


@dataclass(frozen=True)
class PolicySpec:
    """What the simulator needs from a policy (see the module docstring).

    Attributes
    ----------
    every : int
        Check every ``every`` months (1, 3 or 12), at months ``every``, ``2 * every``, ...
    direct_monthly : bool
        Direct new money to underweight classes every month, not only at checks.
    trigger : Band or None
        At a check, act only if a class is outside this band (None: always act).
    tolerance : Band
        After the cash flows and tax-advantaged trades, sell in taxable accounts only if a
        class is still outside this band (``Band("none")``: any drift).
    destination : {"target", "edge"}
        Trade back to target, or move the classes outside ``trigger`` to the nearer edge of
        ``destination_band`` (classes inside stay, absorbing the difference).
    destination_band : Band or None
        The band whose edge is the destination.
    label : str
        A short name for tables.
    """

    every: int
    direct_monthly: bool
    trigger: Band | None
    tolerance: Band
    destination: str
    destination_band: Band | None
    label: str


@dataclass(frozen=True)
class Calendar:
    """Rebalance on a calendar, whatever the drift.

    Parameters
    ----------
    freq : {"monthly", "quarterly", "annual"}
        How often (checks at the end of months 1, 2, ...; 3, 6, ...; 12, 24, ...).
    to : {"target", "band"}
        Back to target, or only the classes outside ``band`` back to its nearer edge.
    band : Band, optional
        Tolerance for taxable sales (and the edges when ``to="band"``); default no band:
        sell whenever any drift is left after the cash flows and tax-free trades.
    """

    freq: str = "annual"
    to: str = "target"
    band: Band | None = None

    def __post_init__(self) -> None:
        _check_freq("freq", self.freq)
        _check_to(self.to)
        if self.to == "band" and self.band is None:
            raise ValueError("Calendar(to='band') needs a band")

    def spec(self) -> PolicySpec:
        """The policy as the simulator reads it."""
        band = self.band or Band("none")
        dest = "edge" if self.to == "band" else "target"
        suffix = f", to band {band.label()}" if self.to == "band" else (
            f", taxable sales outside {band.label()}" if self.band is not None else "")
        return PolicySpec(FREQUENCIES[self.freq], False, None, band, dest,
                          band if dest == "edge" else None,
                          f"Calendar ({self.freq}{suffix})")


@dataclass(frozen=True)
class Threshold:
    """Check every month; rebalance only when a class is outside the band.

    Parameters
    ----------
    band : Band, default the 5/25 rule
        Trigger and tolerance.
    to : {"target", "band"}
        Back to target, or the classes outside the band back to its nearer edge.
    """

    band: Band = Band()
    to: str = "target"

    def __post_init__(self) -> None:
        _check_to(self.to)

    def spec(self) -> PolicySpec:
        """The policy as the simulator reads it."""
        dest = "edge" if self.to == "band" else "target"
        return PolicySpec(1, False, self.band, self.band, dest,
                          self.band if dest == "edge" else None,
                          f"Threshold ({self.band.label()}, to {self.to})")


@dataclass(frozen=True)
class Hybrid:
    """Check on a calendar; act only when a class is outside the band.

    Parameters
    ----------
    freq : {"monthly", "quarterly", "annual"}, default "quarterly"
    band : Band, default ``Band("absolute", absolute=0.05)``
        Trigger and tolerance.
    to : {"target", "band"}
    """

    freq: str = "quarterly"
    band: Band = Band("absolute", absolute=0.05)
    to: str = "target"

    def __post_init__(self) -> None:
        _check_freq("freq", self.freq)
        _check_to(self.to)

    def spec(self) -> PolicySpec:
        """The policy as the simulator reads it."""
        dest = "edge" if self.to == "band" else "target"
        return PolicySpec(FREQUENCIES[self.freq], False, self.band, self.band, dest,
                          self.band if dest == "edge" else None,
                          f"Hybrid ({self.freq}, {self.band.label()}, to {self.to})")


@dataclass(frozen=True)
class Opportunistic:
    """Look often; trade only the classes outside the band, and only back to an inner band.

    Parameters
    ----------
    check : {"monthly", "quarterly", "annual"}, default "monthly"
    band : Band, default ``Band("relative", relative=0.20)``
        Trigger: a class outside it is traded (Daryanani's 20% of target).
    inner : Band, default ``Band("relative", relative=0.10)``
        Destination: the traded classes go to its nearer edge (half the trigger band). Must
        be no wider than ``band`` for every target weight (checked by the simulator).
    """

    check: str = "monthly"
    band: Band = Band("relative", relative=0.20)
    inner: Band = Band("relative", relative=0.10)

    def __post_init__(self) -> None:
        _check_freq("check", self.check)

    @classmethod
    def vanguard_200_175(cls, check: str = "monthly") -> Opportunistic:
        """Vanguard's target-date rule: trigger at 200 bp from target, trade back to 175 bp.

        Returns
        -------
        Opportunistic
        """
        return cls(check, Band("absolute", absolute=0.02), Band("absolute", absolute=0.0175))

    def spec(self) -> PolicySpec:
        """The policy as the simulator reads it."""
        return PolicySpec(FREQUENCIES[self.check], False, self.band, self.band, "edge",
                          self.inner, f"Opportunistic ({self.check}, {self.band.label()} -> "
                                      f"{self.inner.label()})")


@dataclass(frozen=True)
class SeedRecommendation:
    """Cash flows to underweight classes every month; a full review to target once a year.

    Parameters
    ----------
    review : {"monthly", "quarterly", "annual"}, default "annual"
        How often the comprehensive review back to target happens.
    band : Band, default the 5/25 rule
        Tolerance: at the review, sell in taxable accounts only if a class is still outside
        it after the cash flows and the tax-advantaged trades.
    """

    review: str = "annual"
    band: Band = Band()

    def __post_init__(self) -> None:
        _check_freq("review", self.review)

    def spec(self) -> PolicySpec:
        """The policy as the simulator reads it."""
        return PolicySpec(FREQUENCIES[self.review], True, None, self.band, "target", None,
                          f"Seed recommendation ({self.review} review, taxable sales outside "
                          f"{self.band.label()})")
