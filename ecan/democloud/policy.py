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
from collections.abc import Iterator, Mapping, Sequence
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
    return _as_compiled(policy).decision(request.action.lower(), request.resource,
                                         _lowered(request.context)) is True


def is_allowed_by_all(policies: Sequence[Mapping[str, Any]], request: AccessRequest) -> bool:
    """True if the identity policies together allow `request`: one allows it and none denies
    it explicitly (a principal's several policies, as IAM combines them). A CompiledPolicy
    among them is evaluated without being read again."""
    action, context = request.action.lower(), _lowered(request.context)
    decisions = [_as_compiled(p).decision(action, request.resource, context) for p in policies]
    return False not in decisions and True in decisions


class CompiledPolicy(Mapping[str, Any]):
    """A policy document (a read-only view of it) with what deciding a request needs worked out
    once: each statement's checks, its action patterns and its variable-free resource
    patterns, compiled. A server that evaluates the same role policy for every request keeps
    one of these per document text instead of re-reading the document each time.

    Decisions are exactly `_decision`'s of old, errors included: what the document gets wrong
    is found here but raised (as PolicyError) only when an evaluation reaches it, as reading
    the document statement by statement did; conditions are still read when a statement's
    action and resource match, as before."""

    def __init__(self, document: Any) -> None:
        self._document: Mapping[str, Any] = document if isinstance(document, Mapping) else {}
        self._error: str | None = None  # raised by every decision
        self._statements: list[_Statement | str] = []  # str: raised when reached
        if not isinstance(document, Mapping):
            self._error = "a policy document is a JSON object"
            return
        statements = document.get("Statement")
        if isinstance(statements, Mapping):
            statements = [statements]
        if not isinstance(statements, list):
            self._error = "Statement must be an object or a list"
            return
        variables = document.get("Version") == _VARIABLES_VERSION
        for statement in statements:
            try:
                self._statements.append(_Statement.compile(statement, variables))
            except PolicyError as e:
                self._statements.append(str(e))

    def __getitem__(self, key: str) -> Any:
        return self._document[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._document)

    def __len__(self) -> int:
        return len(self._document)

    def decision(self, action: str, resource: str, context: Mapping[str, str]) -> bool | None:
        """False: an explicit Deny matches; True: an Allow matches and no Deny; None: nothing.
        `action` lower-cased, `context` with lower-cased names (as _lowered gives it)."""
        if self._error is not None:
            raise PolicyError(self._error)
        allowed = False
        for statement in self._statements:
            if isinstance(statement, str):
                raise PolicyError(statement)
            if statement.matches(action, resource, context):
                if statement.deny:
                    return False
                allowed = True
        return True if allowed else None


@dataclass(frozen=True)
class _Statement:
    deny: bool
    action_listed: bool  # Action (True) or NotAction
    actions: tuple[re.Pattern[str], ...]  # lower-cased patterns: names are case-insensitive
    resource_listed: bool  # Resource (True) or NotResource
    # A fixed pattern, compiled; or one with policy variables, resolved per request.
    resources: tuple[re.Pattern[str] | _VariablePattern, ...]
    condition: Any
    variables: bool

    @classmethod
    def compile(cls, statement: Any, variables: bool) -> _Statement:
        """The statement's checks, in the order reading it made them (PolicyError)."""
        if not isinstance(statement, Mapping):
            raise PolicyError("each statement is a JSON object")
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError(f"Effect must be Allow or Deny, not {effect!r}")
        if "Principal" in statement or "NotPrincipal" in statement:
            raise PolicyError("an identity policy names no Principal")
        action_name, actions = _element(statement, "Action", "NotAction")
        resource_name, resources = _element(statement, "Resource", "NotResource")
        return cls(
            deny=effect == "Deny", action_listed=action_name == "Action",
            actions=tuple(_compiled(p.lower()) for p in actions),
            resource_listed=resource_name == "Resource",
            resources=tuple(_VariablePattern.of(p) if variables and "${" in p
                            else _compiled(p) for p in resources),
            condition=statement.get("Condition", {}), variables=variables)

    def matches(self, action: str, resource: str, context: Mapping[str, str]) -> bool:
        hit = any(p.fullmatch(action) is not None for p in self.actions)
        if hit != self.action_listed:
            return False
        hit = False
        for pattern in self.resources:
            compiled = pattern.resolve(context) if isinstance(pattern, _VariablePattern) \
                else pattern
            if compiled is not None and compiled.fullmatch(resource) is not None:
                hit = True
                break
        if hit != self.resource_listed:
            return False
        return _conditions_hold(self.condition, context, self.variables)


@dataclass(frozen=True)
class _VariablePattern:
    """A Resource pattern with policy variables: its text and the (lower-cased) names of the
    variables it reads, so that its compiled form is found by their values."""

    text: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> _VariablePattern:
        return cls(text, tuple(m.group(1).lower() for m in _VARIABLE_RE.finditer(text)
                               if m.group(1) not in _ESCAPES))

    def resolve(self, context: Mapping[str, str]) -> re.Pattern[str] | None:
        return _resolved(self.text, self.names, tuple(context.get(n) for n in self.names))


@lru_cache(maxsize=1024)
def _resolved(text: str, names: tuple[str, ...], values: tuple[str | None, ...]
              ) -> re.Pattern[str] | None:
    # _substitute reads only these names, so their values decide its result.
    known = {n: v for n, v in zip(names, values, strict=True) if v is not None}
    substituted = _substitute(text, known)
    return None if substituted is None else _compiled(substituted)


def _as_compiled(policy: Mapping[str, Any]) -> CompiledPolicy:
    return policy if isinstance(policy, CompiledPolicy) else CompiledPolicy(policy)


def _lowered(context: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in context.items()}


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
