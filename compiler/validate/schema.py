"""JSON Schema checks turned into located diagnostics.

The common case (a valid document) goes through a fastjsonschema-compiled validator;
only when that fails do we import jsonschema to collect every error with its path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from ..diagnostics import Collector, did_you_mean

_TYPE_NAMES = {
    "object": "a mapping", "array": "a list", "string": "text", "number": "a number",
    "integer": "a whole number", "boolean": "true or false", "null": "nothing",
}


def _pyname(v: object) -> str:
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "a whole number"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "text"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


@cache
def _compiled(schema_json: str) -> Callable[[Any], Any]:
    import fastjsonschema

    schema = json.loads(schema_json)
    schema.pop("$schema", None)  # fastjsonschema knows drafts up to 7; we only use keywords common to both
    return fastjsonschema.compile(schema, use_formats=False, use_default=False)


def fast_valid(instance: Any, schema: dict[str, Any]) -> bool:
    import fastjsonschema

    validate = _compiled(json.dumps(schema, sort_keys=True))
    try:
        validate(instance)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _ptr(path: Iterable[object]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _show(v: object) -> str:
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else f"'{v}'"
    return text if len(text) <= 60 else text[:57] + "..."


def check_schema(instance: Any, schema: dict[str, Any], diags: Collector, base: str = "", what: str = "") -> bool:
    """Report every schema violation; True when there were none."""
    if fast_valid(instance, schema):
        return True
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors:
        _report(err, diags, base, what)
    return False


def _leaf(err: Any) -> Any:
    """For anyOf/oneOf: the branch error that best explains the failure, or None."""
    inst = err.instance
    best = None
    for sub in err.context or ():
        t = sub.schema.get("type") if isinstance(sub.schema, dict) else None
        if sub.validator == "type":
            continue
        if t is None or _type_ok(inst, t):
            if best is None or len(sub.absolute_path) > len(best.absolute_path):
                best = sub
    return best


def _type_ok(v: object, t: object) -> bool:
    types = t if isinstance(t, list) else [t]
    for name in types:
        if name == "object" and isinstance(v, dict) or name == "array" and isinstance(v, list):
            return True
        if name == "string" and isinstance(v, str):
            return True
        if name == "boolean" and isinstance(v, bool):
            return True
        if name in ("number", "integer") and isinstance(v, (int, float)) and not isinstance(v, bool):
            return name == "number" or float(v).is_integer()
        if name == "null" and v is None:
            return True
    return False


def _report(err: Any, diags: Collector, base: str, what: str) -> None:
    if err.validator in ("anyOf", "oneOf"):
        leaf = _leaf(err)
        if leaf is not None:
            _report(leaf, diags, base, what)
            return
    ptr = base + _ptr(err.absolute_path)
    inst = err.instance
    schema = err.schema if isinstance(err.schema, dict) else {}
    label = ptr or "/"
    v = err.validator
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = list(schema.get("properties", {}))
        extra = [k for k in inst if k not in allowed]
        for k in extra:
            hint = did_you_mean(k, allowed)
            diags.error("V101", f"{label}: unknown key '{k}'{' in ' + what if what else ''}",
                        f"{ptr}/{k.replace('~', '~0').replace('/', '~1')}", key=True, hint=hint)
        return
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        diags.error("V102", f"{label}: missing required key '{missing}'", ptr, key=True,
                    hint=_describe(schema.get("properties", {}).get(missing)))
        return
    if v == "type":
        want = err.validator_value
        names = " or ".join(_TYPE_NAMES.get(t, t) for t in (want if isinstance(want, list) else [want]))
        diags.error("V103", f"{label}: expected {names}, got {_pyname(inst)}", ptr, hint=_describe(schema))
        return
    if v in ("anyOf", "oneOf"):
        kinds = []
        for sub in err.validator_value:
            t = sub.get("type") if isinstance(sub, dict) else None
            if t:
                kinds.append(_TYPE_NAMES.get(t, t) if isinstance(t, str) else "/".join(t))
            elif isinstance(sub, dict) and "enum" in sub:
                kinds.append(" or ".join(_show(x) for x in sub["enum"]))
            elif isinstance(sub, dict) and "$ref" in sub:
                kinds.append(sub["$ref"].rsplit("/", 1)[-1].replace("_", " "))
        diags.error("V103", f"{label}: {_show(inst)} is not {' or '.join(dict.fromkeys(kinds)) or 'allowed here'}",
                    ptr, hint=_describe(schema))
        return
    if v in ("enum", "const"):
        allowed = err.validator_value if v == "enum" else [err.validator_value]
        hint = did_you_mean(inst, [str(a) for a in allowed]) if isinstance(inst, str) else (
            "expected one of: " + ", ".join(_show(a) for a in allowed))
        diags.error("V104", f"{label}: {_show(inst)} is not allowed", ptr, hint=hint)
        return
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        rel = {"minimum": "less than", "maximum": "greater than", "exclusiveMinimum": "not greater than",
               "exclusiveMaximum": "not less than"}[v]
        diags.error("V105", f"{label}: {_show(inst)} is {rel} {err.validator_value}", ptr, hint=_describe(schema))
        return
    if v in ("minItems", "maxItems"):
        diags.error("V107", f"{label}: {err.message}", ptr, hint=_describe(schema))
        return
    if v == "propertyNames":
        diags.error("V106", f"{label}: '{inst}' is not a valid id", ptr, key=True,
                    hint="ids start with a letter or digit and use only letters, digits, '_', '.', '-'")
        return
    if v == "pattern" and schema.get("pattern", "").startswith("^[A-Za-z0-9][A-Za-z0-9_.-]*"):
        diags.error("V106", f"{label}: {_show(inst)} is not a valid id", ptr,
                    hint="ids start with a letter or digit and use only letters, digits, '_', '.', '-'")
        return
    diags.error("V106", f"{label}: {err.message}", ptr, hint=_describe(schema))


def _describe(schema: object) -> str | None:
    if not isinstance(schema, dict):
        return None
    desc = schema.get("description")
    if isinstance(desc, str) and desc:
        first = desc.strip().split("\n")[0]
        return first if len(first) <= 160 else first[:157] + "..."
    return None
