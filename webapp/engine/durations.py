"""ISO-8601 durations as time standards: parse, count, and say them in Indonesian.

One strict reading for every Python caller: integer components only, in the order
``P[nY][nM][nW][nD][T[nH][nM][nS]]``, case and surrounding blanks ignored, never empty.
A day is 86400 seconds, a week 7 days, a month 30 days and a year 365 days, so a standard
means the same length whenever it is read; under the working-hours calendar its days are working
days instead (webapp/engine/calendar.py), and it is said so: ``words_id(working=True)`` gives
'3 hari kerja', and such words read back as the same duration. The modeler's JavaScript
parser is tested against the same cases (tests/data/durations.json).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import timedelta

_ISO = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?!$)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
# Each component, largest first: its ISO designator, its Indonesian word, its seconds.
_UNITS = (
    ("years", "Y", "tahun", 365 * 86400),
    ("months", "M", "bulan", 30 * 86400),
    ("weeks", "W", "minggu", 7 * 86400),
    ("days", "D", "hari", 86400),
    ("hours", "H", "jam", 3600),
    ("minutes", "M", "menit", 60),
    ("seconds", "S", "detik", 1),
)
_BY_WORD = {word: name for name, _, word, _ in _UNITS}
_WORD_PAIR = re.compile(r"(\d+)\s*([a-z]+)")
_NOT_WORDS = re.compile(r"[\d\s]|[a-z]+")
_WORKING_UNITS = frozenset({"weeks", "days"})  # counted in working days under working hours


@dataclass(frozen=True)
class Duration:
    """The components of an ISO-8601 duration as written (zeros kept)."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @property
    def total_seconds(self) -> int:
        """Return its length in seconds (months of 30 days, years of 365)."""
        return sum(getattr(self, name) * size for name, _, _, size in _UNITS)

    def to_timedelta(self) -> timedelta:
        """Return its length as a timedelta."""
        return timedelta(seconds=self.total_seconds)

    def iso(self) -> str:
        """Return it as ISO-8601 text without zero components ('PT0S' when all are zero)."""
        date = "".join(f"{getattr(self, n)}{d}" for n, d, _, _ in _UNITS[:4] if getattr(self, n))
        time = "".join(f"{getattr(self, n)}{d}" for n, d, _, _ in _UNITS[4:] if getattr(self, n))
        if not date and not time:
            return "PT0S"
        return f"P{date}" + (f"T{time}" if time else "")

    def words_id(self, working: bool = False) -> str:
        """Return it in Indonesian, e.g. '1 jam 30 menit'; '0 menit' when it is zero.

        With ``working``, days and weeks are said as working ones ('3 hari kerja').
        """
        parts = [
            f"{getattr(self, n)} {word}" + (" kerja" if working and n in _WORKING_UNITS else "")
            for n, _, word, _ in _UNITS
            if getattr(self, n)
        ]
        return " ".join(parts) or "0 menit"


def parse(text: str) -> Duration:
    """Read an ISO-8601 duration such as 'PT1H30M'; raise ValueError if it is not one."""
    match = _ISO.match(text.strip().upper()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not an ISO-8601 duration: {text!r}")
    return Duration(**{f.name: int(match.group(f.name) or 0) for f in fields(Duration)})


def try_parse(text: str | None) -> Duration | None:
    """Read an ISO-8601 duration, or return None when ``text`` is not one."""
    try:
        return parse(text) if text else None
    except ValueError:
        return None


def seconds(text: str | None) -> int | None:
    """Return the seconds of an ISO-8601 duration, or None when ``text`` is not one."""
    duration = try_parse(text)
    return None if duration is None else duration.total_seconds


def words_id(text: str | None, working: bool = False) -> str | None:
    """Say an ISO-8601 duration in Indonesian ('PT10M' → '10 menit'), or return None."""
    duration = try_parse(text)
    return None if duration is None else duration.words_id(working)


def from_words_id(text: str) -> Duration | None:
    """Read an Indonesian duration such as '2 jam' or '3 hari kerja', or return None."""
    lowered = text.lower()
    pairs = _WORD_PAIR.findall(lowered)
    # Anything besides numbers, words and blanks (punctuation, symbols) is not a duration; a word
    # after a unit ('3 hari kerja') qualifies it and is read past.
    if not pairs or _NOT_WORDS.sub("", lowered):
        return None
    counts = dict.fromkeys(_BY_WORD.values(), 0)
    for number, word in pairs:
        if word not in _BY_WORD:
            return None
        counts[_BY_WORD[word]] += int(number)
    return Duration(**counts)


# How SOP documents write a Waktu cell beyond the plain words: abbreviations, "30'",
# "1 x 24 jam", "0,5 jam", "1 (satu) hari", "paling lama 3 hari", "1 jam dan 30 menit", and a
# range "1-2 hari", read as its upper bound (the time standard is the limit).
_ABBREVIATIONS = {
    "mnt": "menit",
    "mnit": "menit",
    "min": "menit",
    "menit'": "menit",
    "jm": "jam",
    "hr": "hari",
    "hk": "hari",
    "dtk": "detik",
    "det": "detik",
    "mg": "minggu",
    "mgg": "minggu",
    "bln": "bulan",
    "thn": "tahun",
}
_QUALIFIERS = re.compile(
    r"^(?:paling\s+lama|selambat-?lambatnya|maksimal|maksimum|maks\.?|max\.?|kurang\s+lebih|"
    r"sekitar|±|\+/-|<=?|≤)\s*"
)
_PARENTHESES = re.compile(r"\([^)]*\)")
_MINUTE_MARK = re.compile(r"(\d+)\s*['’′]")
_TIMES = re.compile(r"(\d+)\s*[x×]\s*(\d+)")
# "1 x 24 jam" is how a document says "one day": a day of the SOP, so a working day under the
# working-hours calendar (24 working hours would be three working days).
_DAYS_OF_24_HOURS = re.compile(r"(\d+)\s*[x×]\s*24\s*jam\b")
_FRACTION = re.compile(r"(\d+)?\s*(?:[.,](\d+)|½)\s*(jam|hari)")
_RANGE = re.compile(r"\d+(?:[.,]\d+)?\s*[a-z]*\s*(?:-|–|s\.?/d\.?|sampai|hingga)\s*(?=\d)")
_JOINERS = re.compile(r"\s*(?:,|\bdan\b|\+)\s*")


def _fraction(match: re.Match[str]) -> str:
    whole = int(match.group(1) or 0)
    digits = match.group(2)
    part = int(digits) / 10 ** len(digits) if digits else 0.5
    unit_minutes = 60 if match.group(3) == "jam" else 24 * 60
    return f"{round((whole + part) * unit_minutes)} menit"


def from_document_words(text: str) -> Duration | None:
    """Read a Waktu cell as SOP documents write it ('30\\'', '1 x 24 jam', '3 hari kerja')."""
    said = " ".join(text.lower().split())
    said = _PARENTHESES.sub(" ", said).strip().rstrip(".")
    said = _QUALIFIERS.sub("", said)
    said = _RANGE.sub("", said)  # "1-2 hari" → "2 hari": a standard is a limit
    said = _MINUTE_MARK.sub(r"\1 menit", said)
    said = _DAYS_OF_24_HOURS.sub(r"\1 hari", said)
    said = _TIMES.sub(lambda m: str(int(m.group(1)) * int(m.group(2))), said)
    said = _FRACTION.sub(_fraction, said)
    said = re.sub(r"(\d)([a-z])", r"\1 \2", said)
    said = " ".join(_ABBREVIATIONS.get(word.rstrip("."), word.rstrip(".")) for word in said.split())
    said = _JOINERS.sub(" ", said)
    return from_words_id(said) if said else None


def is_range(text: str) -> bool:
    """Whether a Waktu cell gives a range ('1-2 hari', '30 menit s/d 1 jam')."""
    return bool(_RANGE.search(" ".join(text.lower().split())))
