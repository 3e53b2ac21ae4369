"""A small IAM policy evaluator for the local cloud: decides whether one identity-based policy
document allows a request (action, resource, condition keys), the way IAM does for the subset
of the policy language an identity pool's role uses.

Supported: Effect Allow/Deny (an explicit Deny wins, no match is an implicit deny),
Action/NotAction and Resource/NotResource with `*`/`?` wildcards, policy variables such as
`${cognito-identity.amazonaws.com:sub}` (and the `${*}`, `${?}`, `${$}` escapes) in Resource
and Condition values when Version is 2012-10-17, and the String condition operators
(Equals, NotEquals, EqualsIgnoreCase, NotEqualsIgnoreCase, Like, NotLike) with their
`...IfExists` and `ForAnyValue:`/`ForAllValues:` forms. Anything else in a document raises
`PolicyError`, which callers treat as a refusal: an evaluator that skipped a clause it does not
understand could allow what the policy means to forbid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_VARIABLE_RE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}
_VARIABLES_VERSION = "2012-10-17"


class PolicyError(ValueError):
    """The document uses something this evaluator does not implement (or is malformed)."""


@dataclass(frozen=True)
class AccessRequest:
    """One permission a request needs: an action on a resource, with the request's condition
    keys (names are case-insensitive, as in IAM; policy variables are read from them too)."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


def is_allowed(policy: Mapping[str, Any], request: AccessRequest) -> bool:
    """True if `policy` allows `request`: some Allow statement matches and no Deny does."""
    if not isinstance(policy, Mapping):
        raise PolicyError("a policy document is a JSON object")
    statements = policy.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        raise PolicyError("Statement must be an object or a list")
    variables = policy.get("Version") == _VARIABLES_VERSION
    context = {k.lower(): v for k, v in request.context.items()}
    allowed = False
    for statement in statements:
        if not isinstance(statement, Mapping):
            raise PolicyError("each statement is a JSON object")
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError(f"Effect must be Allow or Deny, not {effect!r}")
        if "Principal" in statement or "NotPrincipal" in statement:
            raise PolicyError("an identity policy names no Principal")
        if _statement_matches(statement, request, context, variables):
            if effect == "Deny":
                return False
            allowed = True
    return allowed


def _statement_matches(statement: Mapping[str, Any], request: AccessRequest,
                       context: Mapping[str, str], variables: bool) -> bool:
    actions = _element(statement, "Action", "NotAction")
    resources = _element(statement, "Resource", "NotResource")
    name, patterns = actions
    # Action names are case-insensitive and never take variables.
    hit = any(_like(p.lower(), request.action.lower()) for p in patterns)
    if hit != (name == "Action"):
        return False
    name, patterns = resources
    hit = False
    for pattern in patterns:
        resolved = _substitute(pattern, context) if variables else pattern
        if resolved is not None and _like(resolved, request.resource):
            hit = True
            break
    if hit != (name == "Resource"):
        return False
    return _conditions_hold(statement.get("Condition", {}), context, variables)


def _element(statement: Mapping[str, Any], positive: str, negative: str
             ) -> tuple[str, Sequence[str]]:
    if (positive in statement) == (negative in statement):
        raise PolicyError(f"a statement has exactly one of {positive} and {negative}")
    name = positive if positive in statement else negative
    return name, _strings(statement[name], name)


def _strings(value: Any, what: str) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise PolicyError(f"{what} must be a string or a list of strings")
    return values


def _substitute(text: str, context: Mapping[str, str]) -> str | None:
    """`text` with its policy variables replaced; None when a variable has no value (IAM then
    treats the element as not matching)."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        if name in _ESCAPES:
            # Escaped wildcards match themselves only.
            return "\0" + _ESCAPES[name]
        found = context.get(name.lower())
        if found is None:
            missing = True
            return ""
        # A value is literal text: a `*` in it must not act as a wildcard.
        return "".join("\0" + c if c in "*?" else c for c in found)

    result = _VARIABLE_RE.sub(value, text)
    return None if missing else result


def _like(pattern: str, value: str) -> bool:
    return _compiled(pattern).fullmatch(value) is not None


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    # `*` = any run of characters (also `/`), `?` = one character; "\0x" is a literal x
    # (an escaped or substituted character).
    out = []
    literal = False
    for c in pattern:
        if literal:
            out.append(re.escape(c))
            literal = False
        elif c == "\0":
            literal = True
        elif c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        else:
            out.append(re.escape(c))
    return re.compile("".join(out), re.DOTALL)


def _conditions_hold(conditions: Any, context: Mapping[str, str], variables: bool) -> bool:
    if not isinstance(conditions, Mapping):
        raise PolicyError("Condition must be an object")
    for operator, clauses in conditions.items():
        if not isinstance(clauses, Mapping):
            raise PolicyError(f"Condition {operator} must be an object")
        for key, wanted in clauses.items():
            values = []
            for v in _strings(wanted, f"Condition {operator} {key}"):
                resolved = _substitute(v, context) if variables else v
                if resolved is not None:
                    values.append(resolved)
            if not _operator_holds(str(operator), context.get(str(key).lower()), values):
                return False
    return True


def _operator_holds(operator: str, actual: str | None, wanted: list[str]) -> bool:
    qualifier, _, op = operator.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise PolicyError(f"unsupported condition qualifier {qualifier!r}")
    if_exists = op.endswith("IfExists")
    base = op[: -len("IfExists")] if if_exists else op
    compare = _COMPARISONS.get(base)
    if compare is None:
        raise PolicyError(f"unsupported condition operator {operator!r}")
    negated = base.startswith("StringNot")
    if actual is None:
        # IAM: an absent key fails a positive test and passes a negated one; IfExists and
        # ForAllValues (over the empty set) pass, ForAnyValue fails.
        if qualifier == "ForAnyValue":
            return False
        if qualifier == "ForAllValues" or if_exists:
            return True
        return negated
    # Every key this evaluator is given has one value, so the set forms reduce to it.
    matched = any(compare(w, actual) for w in wanted)
    return not matched if negated else matched


def _equals(wanted: str, actual: str) -> bool:
    return wanted.replace("\0", "") == actual


def _equals_ignore_case(wanted: str, actual: str) -> bool:
    return wanted.replace("\0", "").lower() == actual.lower()


_COMPARISONS = {
    "StringEquals": _equals,
    "StringNotEquals": _equals,
    "StringEqualsIgnoreCase": _equals_ignore_case,
    "StringNotEqualsIgnoreCase": _equals_ignore_case,
    "StringLike": _like,
    "StringNotLike": _like,
}
