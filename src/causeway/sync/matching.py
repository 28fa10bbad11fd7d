"""Initial matching: pair the customers both systems already hold, before the first sync.

An initial load that cannot tell "ACME CORP." from "Acme Corporation" creates a duplicate
for every customer both sides know. Candidates are blocked by country and postal code (or
tax id), scored on normalised name, street, city, phone and tax id, and paired one to one,
best score first. Pairs below the accept threshold but above the review threshold go to an
operator instead of being guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

# Legal forms and filler words that differ between clerks but not between companies.
_NOISE = frozenset(
    {
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "llc",
        "ltd",
        "limited",
        "plc",
        "gmbh",
        "mbh",
        "gesellschaft",
        "ag",
        "aktiengesellschaft",
        "sa",
        "sarl",
        "sàrl",
        "spa",
        "srl",
        "sl",
        "bv",
        "nv",
        "kg",
        "ohg",
        "the",
        "and",
        "e",
        "figli",
        "und",
        "cie",
        "et",
        "grp",
        "group",
    }
)
_STREET_WORDS = {
    "st": "street",
    "str": "strasse",
    "ave": "avenue",
    "rd": "road",
    "dr": "drive",
    "ln": "lane",
    "r": "rue",
}


def normalise_name(name: str) -> str:
    """Lower case, no accents or punctuation, legal forms dropped: the company's core name."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    text = folded.encode("ascii", "ignore").decode()
    text = text.replace("&", " and ")
    words = re.sub(r"[^a-z0-9]+", " ", text.replace(".", "")).split()
    core = [word for word in words if word not in _NOISE]
    return " ".join(core or words)


def normalise_street(street: str) -> str:
    """Street with abbreviations spelled out."""
    text = unicodedata.normalize("NFKC", street).lower().replace("straße", "strasse")
    text = re.sub(r"(?<=[a-z])(?:strasse\b|str\.)", " strasse", text)
    words = re.sub(r"[^a-z0-9]+", " ", text.replace(".", " ")).split()
    return " ".join(_STREET_WORDS.get(word, word) for word in words)


def normalise_phone(phone: str) -> str:
    """The last nine digits: country prefixes and extensions vary, subscriber numbers don't."""
    digits = re.sub(r"\D", "", phone.split("x")[0])
    return digits[-9:]


@dataclass(frozen=True)
class Candidate:
    """A customer as matching sees it; `key` is the system id."""

    key: str
    name: str
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    tax_id: str = ""
    phone: str = ""
    core_name: str = field(init=False)
    core_street: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "core_name", normalise_name(self.name))
        object.__setattr__(self, "core_street", normalise_street(self.street))


@dataclass(frozen=True)
class MatchThresholds:
    """Scores (0..100) above which a pair is accepted, or sent to review."""

    accept: float = 85.0
    review: float = 70.0


@dataclass(frozen=True)
class Match:
    """A proposed pair with its score and why."""

    left: str
    right: str
    score: float
    reasons: tuple[str, ...]


@dataclass
class MatchResult:
    """Accepted pairs, pairs for an operator, and records left unmatched on each side."""

    accepted: list[Match]
    review: list[Match]
    unmatched_left: list[str]
    unmatched_right: list[str]


def score(left: Candidate, right: Candidate) -> tuple[float, tuple[str, ...]]:
    """How likely two candidates are the same company, 0..100, with the evidence."""
    name = max(
        fuzz.token_sort_ratio(left.core_name, right.core_name),
        fuzz.ratio(left.core_name.replace(" ", ""), right.core_name.replace(" ", "")),
    )
    reasons = [f"name {name:.0f}"]
    parts: list[tuple[float, float]] = [(name, 0.5)]
    street = 0.0
    if left.core_street and right.core_street:
        street = fuzz.token_set_ratio(left.core_street, right.core_street)
        parts.append((street, 0.25))
        reasons.append(f"street {street:.0f}")
    if left.city and right.city:
        parts.append((fuzz.ratio(left.city.casefold(), right.city.casefold()), 0.1))
    if left.phone and right.phone:
        same_phone = normalise_phone(left.phone) == normalise_phone(right.phone)
        parts.append((100.0 if same_phone else 0.0, 0.15))
        if same_phone:
            reasons.append("phone")
    result = sum(value * weight for value, weight in parts) / sum(weight for _, weight in parts)
    same_zip = bool(left.postal_code) and _zip(left) == _zip(right)
    if same_zip and street >= 95 and name >= 75:
        # Same postal code and street with a recognisably similar name: a typo, not a neighbour.
        result = max(result, 90.0)
        reasons.append("same address")
    if left.tax_id and right.tax_id:
        if _tax(left) == _tax(right):
            result = max(result, 97.0) if name >= 60 else result
            reasons.append("tax id")
        else:
            result = min(result, 60.0)
            reasons.append("tax id differs")
    return result, tuple(reasons)


def _zip(candidate: Candidate) -> str:
    return f"{candidate.country.upper()}:{candidate.postal_code.replace(' ', '').upper()}"


def _tax(candidate: Candidate) -> str:
    return candidate.tax_id.replace(" ", "").upper()


def _blocks(candidate: Candidate) -> Iterable[str]:
    country = candidate.country.upper()
    if candidate.tax_id:
        yield "tax:" + _tax(candidate)
    if candidate.postal_code:
        yield "zip:" + _zip(candidate)
    if candidate.core_name:
        yield f"name:{country}:{candidate.core_name[:4]}"
    # A typo in the name's first letters and a missing postal code still share these.
    if candidate.phone and len(normalise_phone(candidate.phone)) >= 7:
        yield "phone:" + normalise_phone(candidate.phone)
    if candidate.core_street and candidate.city:
        yield f"street:{country}:{candidate.city.casefold()}:{candidate.core_street}"


def match(
    left: Sequence[Candidate],
    right: Sequence[Candidate],
    thresholds: MatchThresholds | None = None,
) -> MatchResult:
    """Pair `left` and `right` one to one; each record is in at most one accepted pair."""
    limits = thresholds or MatchThresholds()
    index: dict[str, list[int]] = defaultdict(list)
    for position, candidate in enumerate(right):
        for block in _blocks(candidate):
            index[block].append(position)
    scored: list[tuple[float, int, int, tuple[str, ...]]] = []
    for left_position, candidate in enumerate(left):
        seen: set[int] = set()
        for block in _blocks(candidate):
            for right_position in index.get(block, ()):
                if right_position in seen:
                    continue
                seen.add(right_position)
                value, reasons = score(candidate, right[right_position])
                if value >= limits.review:
                    scored.append((value, left_position, right_position, reasons))
    # Best pairs first, ties broken by position so results are deterministic.
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    used_left: set[int] = set()
    used_right: set[int] = set()
    accepted: list[Match] = []
    review: list[Match] = []
    for value, left_position, right_position, reasons in scored:
        if left_position in used_left or right_position in used_right:
            continue
        pair = Match(left[left_position].key, right[right_position].key, round(value, 1), reasons)
        if value >= limits.accept:
            accepted.append(pair)
            used_left.add(left_position)
            used_right.add(right_position)
        else:
            review.append(pair)
    reviewed_left = {pair.left for pair in review}
    reviewed_right = {pair.right for pair in review}
    return MatchResult(
        accepted=accepted,
        review=review,
        unmatched_left=[
            c.key for i, c in enumerate(left) if i not in used_left and c.key not in reviewed_left
        ],
        unmatched_right=[
            c.key
            for i, c in enumerate(right)
            if i not in used_right and c.key not in reviewed_right
        ],
    )
