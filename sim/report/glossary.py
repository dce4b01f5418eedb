"""The report's glossary: terms the report uses, in plain words, linked where they appear.

Each term is linked to its entry at the end of the page where it first appears (in the answer, a
section's text, a table's heading or a caption); the Markdown report lists the same entries.
"""

from __future__ import annotations

import html
import re

#: Term (as it appears, matched without regard to case) -> (anchor, plain explanation).
GLOSSARY: dict[str, tuple[str, str]] = {
    "Holm-adjusted": (
        "holm",
        "A p-value raised to allow for testing several arms against no intervention at once (Holm 1979), so "
        "that the chance of calling any arm distinguishable by luck alone stays at 5%.",
    ),
    "Holm": (
        "holm",
        "A p-value raised to allow for testing several arms against no intervention at once (Holm 1979), so "
        "that the chance of calling any arm distinguishable by luck alone stays at 5%.",
    ),
    "distinguishable": (
        "distinguishable",
        "The arm's difference from no intervention, seed by seed, is larger than seed-to-seed noise would "
        "give by chance (Holm-adjusted p below 0.05).",
    ),
    "ICER": (
        "icer",
        "Incremental cost-effectiveness ratio: the extra staff-days an arm costs over the next cheaper "
        "efficient arm, per extra bought seat it prevents (Drummond et al. 2015).",
    ),
    "extendedly dominated": (
        "extendedly-dominated",
        "An arm that some mix of two other arms beats: going from the cheaper to the dearer of them buys "
        "each prevented seat more cheaply, so no value placed on a seat makes this arm the best buy.",
    ),
    "dominated": (
        "dominated",
        "Another arm prevents at least as many bought seats for no more staff-days.",
    ),
    "efficient": (
        "efficient",
        "On the cost-effect frontier: no other arm, and no mix of two arms, prevents more bought seats for "
        "the same staff-days.",
    ),
    "points": (
        "points",
        "Percentage points: the difference between two percentages. From 10% to 7% is 3 points (a fall of "
        "30% of the level).",
    ),
    "95% CI": (
        "ci",
        "95% confidence interval: a range built so that in 95 of 100 repetitions of the sweep it would hold "
        "the true mean over all seeds.",
    ),
    "staff-days": ("staff-days", "The unit of cost: one official working for one day."),
    "captured seats": (
        "captured",
        "Seats won by a candidate who paid for votes and would have lost without them, counted after "
        "winners found to have bought votes are unseated (docs/MODEL.md, Outcomes).",
    ),
    "net benefit": (
        "net-benefit",
        "Captured seats an arm prevents less report.harm_weight for each extra honest candidate it removes: "
        "benefit and harm in one number, in seats per election round.",
    ),
}

_PATTERN = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(t) for t in sorted(GLOSSARY, key=len, reverse=True)) + r")(?![\w-])",
    re.IGNORECASE,
)
_LOOKUP = {t.lower(): v for t, v in GLOSSARY.items()}


def link_terms(markup: str) -> str:
    """HTML with the first use of each glossary term linked to its entry (text outside tags and links)."""
    out, depth, linked = [], 0, set()

    def link(m: re.Match[str]) -> str:
        anchor = _LOOKUP[m.group(1).lower()][0]
        if anchor in linked:
            return m.group(1)
        linked.add(anchor)
        return f'<a class="g" href="#g-{anchor}">{m.group(1)}</a>'

    for part in re.split(r"(<[^>]+>)", markup):
        if part.startswith("<"):
            if re.match(r"<a[\s>]", part):
                depth += 1
            elif part.startswith("</a"):
                depth = max(0, depth - 1)
            out.append(part)
        else:
            out.append(part if depth else _PATTERN.sub(link, part))
    return "".join(out)


def used_entries(text: str) -> list[tuple[str, str, str]]:
    """(term, anchor, explanation) of the terms ``text`` uses, one entry per anchor, in glossary order."""
    found = {m.group(1).lower() for m in _PATTERN.finditer(text)}
    entries, seen = [], set()
    for term, (anchor, meaning) in GLOSSARY.items():
        if term.lower() in found and anchor not in seen:
            seen.add(anchor)
            entries.append((term, anchor, meaning))
    return entries


def glossary_html(entries: list[tuple[str, str, str]]) -> str:
    """The glossary section of the page."""
    items = "".join(
        f'<dt id="g-{anchor}">{html.escape(term)}</dt><dd>{html.escape(meaning)}</dd>'
        for term, anchor, meaning in entries
    )
    return f'<h2 id="glossary">Glossary</h2><dl class="gl">{items}</dl>'


def glossary_markdown(entries: list[tuple[str, str, str]]) -> list[str]:
    """The glossary section of the Markdown report."""
    return ["## Glossary", "", *[f"- **{term}**: {meaning}" for term, _, meaning in entries], ""]
