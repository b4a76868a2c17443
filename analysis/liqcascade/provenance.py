"""How a result file was made, read from the file itself: the command line (root
attribute ``command``, files written from 2026-12-02 on), what it set and varied, and
the assumptions its scenario file states in its comments.

* :func:`parse_command` -- the ``--set`` overrides (``--runs``, ``--steps`` and
  ``--seed`` are ``--set simulation.runs=...`` and so on), the ``--vary`` and
  ``--zip`` options of the command line;
* :func:`assumptions` -- the scenario file's leading comment block and every
  comment that contains ``ASSUMPTION`` (in any case: ``assumption`` too), with the comment lines that continue it:
  the following comments on lines of their own that start in about the same column
  (within two), or beside YAML in the same column while the sentence is open, up
  to a blank comment or one with an ``ASSUMPTION`` of its own.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Optional

#: options of `liqcascade run|sweep` that set a scenario key, and the key
SHORTHANDS = {"--runs": "simulation.runs", "--steps": "simulation.steps",
              "--seed": "simulation.seed"}

#: options that take a value (so the next word is not an option of its own)
WITH_VALUE = {"-o", "--output", "--set", "--vary", "--zip", "-t", "--threads", "--engine",
              "--batch", "--max-memory", *SHORTHANDS}


@dataclass
class Command:
    """What a command line did: ``words`` (as the shell split it), ``subcommand``
    (``run``, ``sweep``), ``scenario`` (the file given), ``sets`` (``(key, value)``
    in order, the shorthands included), ``varies`` (``(key, values text)``) and
    ``zips`` (each ``--zip`` list of keys)."""

    words: list[str]
    subcommand: str = ""
    scenario: str = ""
    sets: list[tuple[str, str]] = field(default_factory=list)
    varies: list[tuple[str, str]] = field(default_factory=list)
    zips: list[str] = field(default_factory=list)


def parse_command(command: Optional[str]) -> Optional[Command]:
    """The options of a ``liqcascade run|sweep`` command line (the root attribute
    ``command``, shell-quoted); None when there is none (an older file, or one
    written through the C API with an empty command). Accepts ``--set k=v`` and
    ``--set=k=v`` as getopt does."""
    if not command:
        return None
    try:
        words = shlex.split(command)
    except ValueError:  # unbalanced quotes: split at blanks
        words = command.split()
    cmd = Command(words)
    i = 1  # words[0] is the program
    positional: list[str] = []
    while i < len(words):
        w = words[i]
        name, eq, inline = w.partition("=") if w.startswith("--") else (w, "", "")
        if name in WITH_VALUE:
            if eq:
                val = inline
            else:
                i += 1
                val = words[i] if i < len(words) else ""
            if name == "--set":
                key, _, v = val.partition("=")
                cmd.sets.append((key, v))
            elif name in SHORTHANDS:
                cmd.sets.append((SHORTHANDS[name], val))
            elif name == "--vary":
                key, _, v = val.partition("=")
                cmd.varies.append((key, v))
            elif name == "--zip":
                cmd.zips.append(val)
        elif not w.startswith("-"):
            positional.append(w)
        i += 1
    if positional:
        cmd.subcommand = positional[0]
    if len(positional) > 1:
        cmd.scenario = positional[1]
    return cmd


@dataclass
class Assumption:
    """One assumption of a scenario file: the line numbers it spans (from 1), the
    YAML on its first line (may be empty: a comment on a line of its own) and the
    comment text, continuation lines joined."""

    lines: tuple[int, int]
    code: str
    text: str


def _split(line: str) -> tuple[str, Optional[int], str]:
    """A YAML line as (code, column of its comment's #, comment text): a # starts a
    comment at the start of a line or after white space, outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"" and (i == 0 or line[i - 1] in " \t:[{,-"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip(), i, line[i + 1:].strip()
    return line.rstrip(), None, ""


#: the word that marks an assumption (the scenarios write ASSUMPTION; any case counts)
_ASSUMPTION = re.compile(r"\bassumption", re.IGNORECASE)


def _unfinished(text: str) -> bool:
    """A comment that stops mid-sentence: an open parenthesis, a trailing comma,
    colon, semicolon or dash, or a last word that cannot end one (of, the, and ...)."""
    return text.count("(") > text.count(")") or bool(re.search(
        r"([,:;–-]|\b(of|the|a|an|and|or|but|to|in|at|by|for|with|from|on|as|than|which|"
        r"that|per|into|about|is|are))$", text))


def leading_comment(text: str) -> str:
    """The scenario file's leading comment block: its first lines that are comments
    (or blank), the # and one space taken off, up to the first line of YAML."""
    out: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if s and not s.startswith("#"):
            break
        out.append(s[1:][1:] if s.startswith("# ") else s[1:])
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


def assumptions(text: str) -> list[Assumption]:
    """Every comment of the scenario file after its leading comment block (which
    :func:`leading_comment` gives whole) that contains ``ASSUMPTION`` (any case,
    ``ASSUMPTIONs`` too), in file
    order, each with the comment lines that continue it."""
    lines = text.splitlines()
    parts = [_split(line) for line in lines]
    out: list[Assumption] = []
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
        i += 1  # the leading block
    while i < len(parts):
        code, col, comment = parts[i]
        if col is None or not _ASSUMPTION.search(comment):
            i += 1
            continue
        texts, j = [comment], i + 1
        while j < len(parts):
            c2, col2, com2 = parts[j]
            if col2 is None or not com2 or _ASSUMPTION.search(com2):
                break
            if c2.strip() and not (col2 == col and _unfinished(texts[-1])):
                break  # a comment beside other YAML continues only an open sentence
            if not c2.strip() and abs(col2 - col) > 2:
                break
            texts.append(com2)
            j += 1
        out.append(Assumption((i + 1, j), code.strip(), " ".join(texts)))
        i = j
    return out
