"""The Chinese edition's catalogues: one ``.po`` per page in ``locales/zh_CN/LC_MESSAGES/book/``.

    python site/translations.py check [PAGE ...]   # what is missing or wrong, per page
    python site/translations.py fill-identity      # messages with nothing to translate: msgstr = msgid

A message is *done* when it has a translation that is not marked fuzzy and keeps every piece
of markup of the English: each role (``{glue:text}`key:.2f```, ``{cite:t}`key```, the target of
``{doc}`text <page>```), each inline code span, each piece of math, each link target.  A
translation may not bring numbers of its own: every number outside the markup must be one of the
English message's (the figures of a page are glued or asserted, see ``tests/test_prose_numbers.py``).
Messages with no prose (display math, a lone role or code span) are translated by themselves;
``fill-identity`` writes those.  ``tests/test_translations.py`` runs these checks on every page
that has a catalogue, against the messages the current English pages give.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"

_ROLE = re.compile(r"\{([a-z:]+)\}`([^`]*)`")
_CODE = re.compile(r"(?<![`{])`([^`]+)`")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HTML = re.compile(r"<[^>]+>")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PROSE = re.compile(r"[A-Za-z]{2,}")


def _link_text(match) -> str:
    """A role's words a reader sees and a translation translates: the text of {doc}`text <page>`."""
    name, body = match.groups()
    target = re.search(r"^(.*?)\s*<[^>]+>\s*$", body, re.S)
    return " " + target.group(1) + " " if name in ("doc", "ref", "numref") and target else " "


def _strip(text: str) -> str:
    text = _ROLE.sub(_link_text, text)
    for pattern in (_MATH, _CODE, _LINK, _HTML):
        text = pattern.sub(" ", text)
    return text


def markup(text: str) -> Counter:
    """The pieces of ``text`` a translation must keep, with their counts."""
    pieces = Counter()
    for name, body in _ROLE.findall(text):
        if name in ("doc", "ref", "numref"):  # the link text may be translated; the target not
            target = re.search(r"<([^>]+)>\s*$", body)
            pieces[f"{{{name}}}<{target.group(1) if target else body}>"] += 1
        else:
            pieces[f"{{{name}}}`{body}`"] += 1
    rest = _ROLE.sub(" ", text)
    pieces.update(m.group(0) for m in _MATH.finditer(rest))
    rest = _MATH.sub(" ", rest)
    pieces.update("`" + code + "`" for code in _CODE.findall(rest))
    pieces.update("](" + url + ")" for url in _LINK.findall(text))
    return pieces


def has_prose(text: str) -> bool:
    """Whether ``text`` holds words to translate (outside roles, code, math, links and tags).
    A display-math message (LaTeX commands) has prose only if three words stand in a row."""
    rest = _strip(text)
    if re.search(r"\\[A-Za-z]+", rest):
        rest = re.sub(r"\\[A-Za-z]+", " ", rest)
        return bool(re.search(r"[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}", rest))
    return bool(_PROSE.search(rest))


def _read(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return read_po(handle)


def message_problems(msgid: str, msgstr: str, fuzzy: bool) -> list[str]:
    """What is wrong with one message's translation (empty list: done)."""
    if not msgstr:
        return ["untranslated"]
    if fuzzy:
        return ["fuzzy (the English changed): check the translation and remove the fuzzy flag"]
    problems = []
    wanted, got = markup(msgid), markup(msgstr)
    if wanted != got:
        missing, extra = wanted - got, got - wanted
        problems.append(f"markup differs: missing {sorted(missing)}, extra {sorted(extra)}")
    if re.match(r"\d+[.)] ", msgstr):
        problems.append("starts like a numbered list item, so it would be parsed as a list and left "
                        "untranslated: escape the dot (1\\. ...)")
    numbers = set(_NUMBER.findall(_strip(msgid)))
    invented = [n for n in _NUMBER.findall(_strip(msgstr)) if n not in numbers]
    if invented:
        problems.append(f"numbers the English does not have: {invented}")
    return problems


def page_problems(po_path: Path, expected: set[str] | None = None) -> list[str]:
    """Every problem of one page's catalogue; ``expected``, if given, is the set of messages the
    current English page gives (from a gettext build): each must be in the catalogue."""
    catalog = _read(po_path)
    problems, present = [], set()
    for message in catalog:
        if not message.id:
            continue
        present.add(message.id)
        for problem in message_problems(message.id, message.string or "", message.fuzzy):
            problems.append(f"{problem}: {message.id[:90]!r}")
    if expected is not None:
        for msgid in sorted(expected - present):
            problems.append(f"not in the catalogue (the English page changed; run `python site/editions.py "
                            f"update`): {msgid[:90]!r}")
    return problems


def fill_identity(po_path: Path) -> int:
    """Set msgstr = msgid for the untranslated messages without prose; return how many."""
    from babel.messages.pofile import write_po

    catalog = _read(po_path)
    filled = 0
    for message in catalog:
        if message.id and not message.string and not has_prose(message.id):
            message.string = message.id
            filled += 1
    if filled:
        with po_path.open("wb") as handle:
            write_po(handle, catalog, width=79, include_previous=True)
    return filled


def catalogues(pages=None) -> list[Path]:
    paths = sorted(CATALOGUES.rglob("*.po"))
    if pages:
        paths = [p for p in paths if p.stem in pages or str(p.relative_to(CATALOGUES).with_suffix("")) in pages]
    return paths


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("check", "fill-identity"):
        print(__doc__)
        return 2
    if argv[0] == "fill-identity":
        for path in catalogues(argv[1:]):
            print(f"{path.relative_to(ROOT)}: {fill_identity(path)} message(s) without prose filled")
        return 0
    bad = 0
    for path in catalogues(argv[1:]):
        catalog = _read(path)
        total = sum(1 for m in catalog if m.id)
        problems = page_problems(path)
        bad += bool(problems)
        print(f"{path.relative_to(ROOT)}: {total - len(problems)} of {total} messages done, {len(problems)} problem(s)")
        for problem in problems[:50]:
            print("   ", problem)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
