"""Identifiers that cannot collide with real ones: phones, IMEIs, IMSIs, VRMs, postcodes.

Phones come from Ofcom's drama ranges (07700 900xxx and the geographic 496/498/7946/2018/
960 blocks); past the 1,000 drama mobiles, mobiles continue in 07700 901000-999999. VRMs
start with Z, which GB does not issue; postcodes use areas starting with Q, which no UK
postcode area does. IMEIs carry valid Luhn check digits; IMSIs use MCC 234 with real MNCs.
"""

from __future__ import annotations

from stdnum import luhn

MOBILE_POOL = 100_000  # 07700 900000 .. 07700 999999
DRAMA_MOBILES = 1_000  # 07700 900000 .. 07700 900999 are the reserved drama range
# Geographic drama blocks: (area code, the fixed local digits; three more digits vary).
LANDLINE_BLOCKS: tuple[tuple[str, str], ...] = (
    ("0113", "496 0"), ("0114", "496 0"), ("0115", "496 0"), ("0116", "496 0"),
    ("0117", "496 0"), ("0118", "496 0"), ("0121", "496 0"), ("0131", "496 0"),
    ("0141", "496 0"), ("0151", "496 0"), ("0161", "496 0"), ("0191", "498 0"),
    ("020", "7946 0"), ("029", "2018 0"), ("01632", "960"),
)
LANDLINE_POOL = 1_000


def mobile_digits(index: int) -> str:
    """The national digits (no spaces) of the index-th mobile: 07700900000 + index."""
    if not 0 <= index < MOBILE_POOL:
        raise ValueError(f"mobile index {index} outside the reserved pool")
    return f"07700{900000 + index:06d}"


def landline(block: int, index: int) -> str:
    """A landline in one geographic drama block, written the usual way ('0113 496 0123')."""
    code, fixed = LANDLINE_BLOCKS[block]
    return f"{code} {fixed}{index % LANDLINE_POOL:03d}"


# Type allocation codes of a few handset models (the first 8 IMEI digits), fictional models.
TACS = ("35391110", "35328711", "35674108", "86891203", "35209911", "35846512")
MODELS = ("Nimbus 8", "Nimbus 11", "Kestrel A5", "Orca Lite", "Orca Pro", "Vela X")


def imei(serial: int) -> str:
    """A 15-digit IMEI with a valid Luhn check digit; distinct serials give distinct IMEIs."""
    body = f"{TACS[serial % len(TACS)]}{(serial // len(TACS)) % 1_000_000:06d}"
    return body + luhn.calc_check_digit(body)


# (network name, MCC+MNC) for the two fictional providers; MNCs are real UK ones so that
# stdnum.imsi.validate accepts them.
NETWORKS = (("Qnet", "23415"), ("Vireo", "23420"))


def imsi(network: int, serial: int) -> str:
    return f"{NETWORKS[network][1]}{serial % 10**10:010d}"


_VRM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"  # GB omits I, Q and Z from the last three letters


def vrm(serial: int) -> str:
    """'ZA12 BCD': current GB format with a first letter GB does not issue."""
    n = serial
    tail = ""
    for _ in range(3):
        n, r = divmod(n, len(_VRM_LETTERS))
        tail = _VRM_LETTERS[r] + tail
    n, age = divmod(n, 50)
    second = _VRM_LETTERS[n % len(_VRM_LETTERS)]
    year = (age + 51) if age % 2 else age + 2  # plausible age identifiers: 02..26, 51..75
    return f"Z{second}{year:02d} {tail}"


_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # inward codes never use C, I, K, M, O, V


def postcode(force: int, district: int, serial: int) -> str:
    """'QA1 2BD': area Q + a force letter, a district, and an inward code from the serial. The
    27th force on take the letters again with districts from 41 (a force has 30 at most)."""
    letters = len(_INWARD_LETTERS)
    sector, rest = divmod(serial, letters * letters)
    first, second = divmod(rest, letters)
    lap, letter = divmod(force, 26)
    return (
        f"Q{'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[letter]}{district + 40 * lap} {sector % 10}"
        f"{_INWARD_LETTERS[first]}{_INWARD_LETTERS[second]}"
    )
