"""What a function of the expression language is given, and the checks most of them make on it.

A function is `fn(call, args) -> Val`: `args` are its arguments, compiled; `call` is the compiler at the
call, with the rule's `scope` (schema, parameters, the relations lists used) and `fail(message)`, which
makes the error that names the expression. A function checks its arguments' number and kinds itself, in
the rule author's words, before it writes any SQL.
"""

from __future__ import annotations

from typing import Callable, Protocol

from riskcheck.engine.expr_types import KIND_WORD, ExprError, Scope, Val


class Call(Protocol):
    scope: Scope

    def fail(self, message: str) -> ExprError: ...


Function = Callable[[Call, list[Val]], Val]


def arity(call: Call, fname: str, args: list[Val], n: int | None = None, least: int = 1) -> None:
    """Refuse a call with the wrong number of arguments: exactly `n`, or at least `least`."""
    if (n is not None and len(args) != n) or len(args) < least:
        raise call.fail(f"{fname}() takes {n if n is not None else f'at least {least}'} argument(s)")


def dates(call: Call, fname: str, args: list[Val]) -> None:
    """Refuse a call whose arguments are not all dates."""
    for a in args:
        if a.kind != "date":
            raise call.fail(f"{fname}() works on dates, not on a {KIND_WORD[a.kind]}")
