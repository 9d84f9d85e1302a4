"""A finding's situation (report/drawing_situation.py) laid out as SVG geometry: boxes, lines and labels in
whole numbers, with the same in words for anyone the picture does not reach.

`layout()` places it as a ladder read top to bottom: the people in the left column, each family link between
two of them; their posts (or programmes) in the right column beside them, the reporting line between two
posts. A situation of relatives in a hierarchy is then two routes between the same people: the family on the
left and the chain of command on the right.

The layout is written here, not taken from a library. The situations are small (2 to 12 people, a path and a
chain), every node a box of wrapped text whose height depends on its words, every line labelled in words; the
libraries weighed lay out points, not boxes of text: networkx's layouts (spring, Kamada-Kawai, multipartite)
give float positions for points, chosen by iteration or seeded chance, with no crossing reduction in layers
and no label placement; grandalf (Sugiyama layers for boxes) has had no release since 2023; graphviz needs a
system binary that a pip install does not bring. A two-column ladder is the one layout these findings need,
and ~150 lines give it in whole numbers, the same bytes on every run, legible at 390 px (a narrow viewBox:
one unit is about one pixel on a phone) and in black and white (alleged links dashed, inferred ones dotted,
and every link's status written beside it). Its words are the situation's (`say()`, `when()`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable

from riskcheck.engine.findings import Finding
from riskcheck.report.drawing_situation import WORDS, Item, Link, Situation, say, situation, when
from riskcheck.templating import kinship_inverse_word, kinship_word

# The page: a narrow viewBox, so one unit is about one pixel at a phone's width and text stays >= 12 px there.
WIDTH = 330
MARGIN = 2
COLUMN_GAP = 14
FONT = 13
LINE = 16
PAD = 6
BAND = 7  # the black band of a convicted person
CHAR = 6.5  # a conservative average width of one character at FONT, for wrapping
ARC_STEP = 10  # the gutter each level of non-adjacent family links takes on the left


# Where it is drawn


@dataclass(frozen=True)
class Text:
    x: int
    y: int
    text: str
    kind: str = ""  # "" | tag | note | label


@dataclass
class Box:
    x: int
    y: int
    w: int
    h: int
    shape: str  # person | post | program | unit | group
    marks: tuple[str, ...] = ()
    lines: list[Text] = field(default_factory=list)


@dataclass
class Edge:
    path: str  # SVG path data, whole numbers only
    style: str  # confirmed | reported | alleged | inferred | holds | reports
    arrow: bool = False


@dataclass
class Drawing:
    id: str
    width: int
    height: int
    boxes: list[Box]
    edges: list[Edge]
    labels: list[Text]
    title: str
    desc: str
    legend: str


def _char_width(c: str) -> float:
    """One character's width in characters of average width: wide (East Asian) ones count double, capitals
    a little more."""
    width = _CHAR_WIDTHS.get(c)
    if width is None:
        width = _CHAR_WIDTHS[c] = 1.8 if unicodedata.east_asian_width(c) in "WF" else 1.15 if c.isupper() else 1.0
    return width


_CHAR_WIDTHS: dict[str, float] = {}


def _width(text: str, start: float = 0.0) -> float:
    """The width of a text in characters of average width, added to `start` one character at a time, so
    that a line's width and the next word's, added on, make exactly the width of the two measured at once."""
    total = start
    for c in text:
        total += _char_width(c)
    return total


def wrap(text: str, width: int) -> list[str]:
    """A text in lines of at most `width` units at FONT; a word longer than a line is cut where it must be."""
    return list(_wrapped(text, width))


@lru_cache(maxsize=8192)
def _wrapped(text: str, width: int) -> tuple[str, ...]:
    """wrap's lines, kept: a national case's thousand drawings wrap the same ministries, posts and rule words
    again and again, and measuring them a character at a time was a third of the time to draw them."""
    room = max(4.0, width / CHAR)
    lines: list[str] = []
    line = ""
    line_width = 0.0  # _width(line), kept as the line grows rather than measured anew for every word
    for word in text.split():
        while _width(word) > room:  # a word longer than a line: cut it
            if line:
                lines.append(line)
                line = ""
            cut = 1
            while cut < len(word) and _width(word[:cut + 1]) <= room:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
            line_width = 0.0
        together = _width(word, _width(" ", line_width)) if line else 0.0
        if line and together > room:
            lines.append(line)
            line, line_width = word, _width(word)
        elif line:
            line, line_width = f"{line} {word}", together
        else:
            line, line_width = word, _width(word)
    if line:
        lines.append(line)
    return tuple(lines or [""])


def _box(x: int, y: int, w: int, shape: str, texts: Iterable[tuple[str, str]], marks: tuple[str, ...] = ()) -> Box:
    """A box at (x, y) of width w holding the texts (words, kind) wrapped, its height fitted to them."""
    inset = PAD + (BAND if "convicted" in marks else 0)
    lines: list[Text] = []
    at = y + PAD + FONT - 1
    for words, kind in texts:
        for line in wrap(words, w - inset - PAD):
            lines.append(Text(x + inset, at, line, kind))
            at += LINE
    return Box(x, y, w, at - LINE + PAD + 4 - y, shape, marks, lines)


def _order(people: list[str], links: list[Link], above: list[tuple[str, str]], subject: str | None) -> list[str]:
    """The people top to bottom: each family's members in a path where links join neighbours, superiors
    above their subordinates, the person the finding is about last where nothing else decides."""
    near: dict[str, list[str]] = {p: [] for p in people}
    for k in links:
        if k.person in near and k.relative in near and k.person != k.relative:
            near[k.person].append(k.relative)
            near[k.relative].append(k.person)
    rank = {p: i for i, p in enumerate(people)}
    pairs = {frozenset((k.person, k.relative)) for k in links}

    def walk(start: str, members: set[str]) -> list[str]:
        order: list[str] = []
        stack = [start]
        while stack:
            p = stack.pop()
            if p in order:
                continue
            order.append(p)
            stack.extend(sorted((q for q in near[p] if q in members and q not in order), key=rank.__getitem__,
                                reverse=True))
        return order

    def cost(order: list[str]) -> tuple[int, int, int]:
        at = {p: i for i, p in enumerate(order)}
        adjacent = sum(frozenset(x) in pairs for x in zip(order, order[1:]))
        upside_down = sum(1 for a, b in above if a in at and b in at and at[a] > at[b])
        return (upside_down, -adjacent, 0 if subject not in at or at[subject] == len(order) - 1 else 1)

    groups: list[list[str]] = []
    placed: set[str] = set()
    for p in people:
        if p in placed:
            continue
        members = set(walk(p, set(people)))
        placed |= members
        candidates = [walk(s, members) for s in sorted(members, key=rank.__getitem__)]
        candidates += [list(reversed(c)) for c in candidates]
        groups.append(min(candidates, key=cost))  # min keeps the first of equals: deterministic

    def group_key(group: list[str]) -> tuple[int, int]:
        tops = sum(1 for a, b in above if a in group and b not in group)
        bottoms = sum(1 for a, b in above if b in group and a not in group)
        return (bottoms - tops, 0)

    groups.sort(key=group_key)  # stable: otherwise in order of appearance
    return [p for g in groups for p in g]


def layout(s: Situation) -> Drawing:
    """The situation placed on a narrow page: boxes, lines and labels in whole units."""
    boxes: list[Box] = []
    edges: list[Edge] = []
    labels: list[Text] = []
    did = "drawing-" + re.sub(r"[^A-Za-z0-9_-]", "-", s.key)
    y = MARGIN
    full = WIDTH - 2 * MARGIN
    if s.unit:
        box = _box(MARGIN, y, full, "unit", [(t, "tag" if i == 0 else "") for i, t in enumerate(s.unit)])
        boxes.append(box)
        y += box.h + 12
    if s.kind == "names":
        half = (full - COLUMN_GAP) // 2
        for header, members in s.groups:
            frame = Box(MARGIN, y, full, 0, "group")
            boxes.append(frame)  # drawn first, under its members
            head = _box(MARGIN + 4, y + 4, full - 8, "label", [(header, "note")])
            labels.extend(head.lines)
            y = head.y + head.h - 2
            row: list[Box] = []
            for i, pid in enumerate(members):
                col = i % 2
                box = _box(MARGIN + 4 + col * (half + COLUMN_GAP - 4), y, half - 4, "person",
                           [(s.people[pid].name, "")])
                row.append(box)
                if col == 1 or i == len(members) - 1:
                    tall = max(b.h for b in row)
                    for b in row:
                        b.h = tall
                    boxes.extend(row)
                    y += tall + 6
                    row = []
            frame.h = y - frame.y
            y += 10
    else:
        y = _ladder(s, y, boxes, edges, labels)
    if s.more:
        note = _box(MARGIN, y, full, "label", [(say("more people", count=s.more), "note")])
        labels.extend(note.lines)
        y += note.h
    return Drawing(did, WIDTH, y + MARGIN, boxes, edges, labels, title(s), describe(s), legend(s))


def _ladder(s: Situation, y: int, boxes: list[Box], edges: list[Edge], labels: list[Text]) -> int:
    """People in the left column, top to bottom along their family links; posts and programmes beside them on
    the right; the reporting line between posts. Returns the height used."""
    posts = {i.id: i for i in s.items if i.shape == "post"}
    subject = next((p.id for p in s.people.values() if "subject" in p.marks), None)
    order = _order(list(s.people), s.links, s.above, subject)
    at = {p: i for i, p in enumerate(order)}
    rows: list[list[str | Item]] = [[p] for p in order]
    for item in s.items:  # an unheld post goes above the post that reports to it, or last
        if item.holder in at:
            rows[at[item.holder]].append(item)
    for item in s.items:
        if item.holder not in at:
            below = next((r for r, row in enumerate(rows) for x in row[1:]
                          if isinstance(x, Item) and x.reports_to == item.id), None)
            rows.insert(below if below is not None else len(rows), ["", item])
            at = {str(row[0]): r for r, row in enumerate(rows) if row[0]}

    adjacent: dict[int, list[Link]] = {}
    arcs: list[tuple[int, int, Link]] = []
    for k in s.links:
        if k.person not in at or k.relative not in at or k.person == k.relative:
            continue
        a, b = sorted((at[k.person], at[k.relative]))
        if b == a + 1:
            adjacent.setdefault(a, []).append(k)
        else:
            arcs.append((a, b, k))
    arcs.sort(key=lambda x: (x[1] - x[0], x[0]))  # shortest innermost
    levels: list[int] = []
    for n, (a, b, _) in enumerate(arcs):
        taken = {levels[m] for m, (a2, b2, _) in enumerate(arcs[:n]) if a < b2 and a2 < b}
        levels.append(min(set(range(1, n + 2)) - taken))
    gutter = ARC_STEP * max(levels, default=0)
    left_x = MARGIN + gutter
    col = (WIDTH - 2 * MARGIN - COLUMN_GAP) // 2
    left_w = (col if s.items else WIDTH - 2 * MARGIN) - gutter  # without posts, the people take the width
    right_x = WIDTH - MARGIN - col

    gap_words: dict[int, list[tuple[str, str]]] = {}
    for r, ks in adjacent.items():
        upper = str(rows[r][0])
        for k in ks:
            gap_words.setdefault(r, []).extend(_link_words(k, upper, None, s))
    for a, b, k in arcs:
        upper, lower = str(rows[a][0]), str(rows[b][0])
        gap_words.setdefault(a, []).extend(_link_words(k, upper, s.people[lower].name, s))

    person_box: dict[str, Box] = {}
    item_box: dict[str, Box] = {}
    row_top: list[int] = []
    row_bottom: list[int] = []
    for r, row in enumerate(rows):
        row_top.append(y)
        bottom = y
        pid = str(row[0])
        if pid:
            p = s.people[pid]
            tags = [say(m) for m in p.marks if m != "subject"]  # the thick border says it, and the legend
            texts = [(say("and").join(tags), "tag")] if tags else []
            texts += [(p.name, "")] + [(n, "note") for n in p.notes]
            box = _box(left_x, y, left_w, "person", texts, tuple(p.marks))
            boxes.append(box)
            person_box[pid] = box
            bottom = box.y + box.h
        at_y = y
        for x in row[1:]:
            if isinstance(x, Item):
                box = _box(right_x, at_y, col, x.shape, [(t, "" if i == 0 else "note") for i, t in enumerate(x.lines)])
                boxes.append(box)
                item_box[x.id] = box
                if pid:
                    mid = left_x + left_w + COLUMN_GAP // 2
                    first = person_box[pid].y + PAD + FONT // 2
                    edges.append(Edge(f"M{left_x + left_w} {first}H{mid}V{box.y + PAD + FONT // 2}H{right_x}",
                                      "holds"))
                at_y = box.y + box.h + 6
                bottom = max(bottom, box.y + box.h)
        row_bottom.append(bottom)
        words = gap_words.get(r, [])
        right_words = []
        for item in s.items:  # the reporting line's label sits in the gap above the lower post
            if item.reports_to in posts and r + 1 < len(rows) and item in rows[r + 1][1:]:
                right_words.append(say("reports to"))
        gap = max(18, 10 + LINE * max(sum(len(wrap(w, left_w - 26)) for w, _ in words), len(right_words)))
        text_y = bottom + 4 + FONT
        for w, kind in words:
            for line in wrap(w, left_w - 26):
                labels.append(Text(left_x + 24, text_y, line, kind))
                text_y += LINE
        for w in right_words:
            labels.append(Text(right_x + 28, bottom + 4 + FONT, w, "label"))
        y = bottom + (gap if r + 1 < len(rows) else 0)

    for r, ks in adjacent.items():
        top, under = person_box[str(rows[r][0])], person_box[str(rows[r + 1][0])]
        for i, k in enumerate(ks):
            edges.append(Edge(f"M{left_x + 14 + 5 * i} {top.y + top.h}V{under.y}", k.status))
    for (a, b, k), level in zip(arcs, levels):
        top, under = person_box[str(rows[a][0])], person_box[str(rows[b][0])]
        gx = left_x - ARC_STEP * level + 3
        edges.append(Edge(f"M{left_x} {top.y + top.h - 8}H{gx}V{under.y + 8}H{left_x}", k.status))
    for item in s.items:
        upper_item = posts.get(item.reports_to or "")
        if upper_item is None or item.id not in item_box or upper_item.id not in item_box:
            continue
        low, high = item_box[item.id], item_box[upper_item.id]
        if low.y < high.y:  # the superior's post is drawn below: the arrow points down
            edges.append(Edge(f"M{right_x + 18} {low.y + low.h}V{high.y}", "reports", True))
            continue
        blocked = any(b.y > high.y and b.y < low.y for b in item_box.values())
        if blocked:
            gx = right_x - COLUMN_GAP // 2
            edges.append(Edge(f"M{right_x} {low.y + 8}H{gx}V{high.y + high.h - 8}H{right_x}", "reports", True))
        else:
            edges.append(Edge(f"M{right_x + 18} {low.y}V{high.y + high.h}", "reports", True))
    return y + 4


def _link_words(k: Link, upper: str, other: str | None, s: Situation) -> list[tuple[str, str]]:
    """A family link's label, read from the upper person down: 'parent of', its status and dates."""
    kind = kinship_word(k.kind) if upper == k.relative else kinship_inverse_word(k.kind)
    first = say("link to", kind=kind, name=other) if other else say("link", kind=kind)
    status = [say("status " + k.status) if ("status " + k.status) in WORDS else k.status] + k.notes
    if k.start:
        status.append(say("since", date=when(k.start)))
    if k.end:
        status.append(say("until", date=when(k.end)))
    return [(first, "label"), (say("and").join(status), "note")]


# The same in words


def title(s: Situation) -> str:
    if s.kind != "person":
        return say("title unit", name=s.unit_name)
    return say("title person", names=say("and").join(p.name for p in s.people.values()))


def describe(s: Situation) -> str:
    """The drawing in words, for screen readers and for anyone the picture does not reach: who, how related
    with what status, which posts, which dates."""
    out: list[str] = []
    out.extend(s.unit and [". ".join(s.unit) + "."] or [])
    if s.kind == "names":
        for header, members in s.groups:
            out.append(say("group desc", header=header, names=say("and").join(s.people[p].name for p in members)))
    else:
        for p in s.people.values():
            marks = [say(m) for m in p.marks] + p.notes
            out.append(say("person desc", name=p.name, marks=(": " + "; ".join(marks)) if marks else ""))
        for k in s.links:
            if k.person not in s.people or k.relative not in s.people:
                continue
            dates = "".join(f"{say('and')}{say(w, date=when(d))}" for w, d in (("since", k.start), ("until", k.end))
                            if d)
            status = [say("status " + k.status) if ("status " + k.status) in WORDS else k.status] + k.notes
            out.append(say("link desc", upper=s.people[k.relative].name, kind=kinship_word(k.kind),
                           lower=s.people[k.person].name, status=say("and").join(status), dates=dates))
        posts = {i.id: i for i in s.items if i.shape == "post"}
        for i in s.items:
            holder = s.people[i.holder].name if i.holder in s.people else ""
            details = "".join(f"{say('and')}{line}" for line in i.lines[1:])
            key = "post desc" if i.shape == "post" else "program desc"
            out.append(say(key, name=holder, post=i.lines[0], program=i.lines[0], details=details).strip(": "))
        for i in s.items:
            if i.reports_to in posts:
                out.append(say("reports desc", lower=i.lines[0], upper=posts[i.reports_to or ""].lines[0]))
    if s.more:
        out.append(say("more people", count=s.more) + ".")
    return " ".join(out)


def legend(s: Situation) -> str:
    """What the lines and shapes mean, only those the drawing uses."""
    if s.kind == "person":
        keys = ["legend " + ("people" if not s.items else "sides" if s.links else "posts")]
    else:
        keys = ["legend " + s.kind]
    statuses = {k.status for k in s.links}
    keys += [f"legend {x}" for x in ("alleged", "inferred") if x in statuses]
    marks = {m for p in s.people.values() for m in p.marks}
    keys += [f"legend {x}" for x in ("subject", "convicted", "superior") if x in marks]
    if any(i.reports_to in {j.id for j in s.items} for i in s.items):
        keys.append("legend reports")
    return " ".join(say(k) for k in keys)


def drawing_of(finding: Finding, facts: dict[str, dict], name: Callable[[str], str]) -> Drawing | None:
    """The drawing of one finding: its situation, laid out; None when it names no one to draw."""
    s = situation(finding, facts, name)
    return layout(s) if s is not None else None
