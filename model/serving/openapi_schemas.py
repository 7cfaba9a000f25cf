"""JSON Schemas of the request and response bodies, derived from the data contract."""

from __future__ import annotations

from typing import Any

from model.core.schema import Column, Contract

NUMBERS = ["FP32", "FP64", "INT64"]


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def value(col: Column) -> dict[str, Any]:
    """The JSON Schema of one feature value."""
    if col.kind == "category":
        schema: dict[str, Any] = {"type": "string", "enum": list(col.categories)}
        if col.nullable:
            schema = {"type": ["string", "null"], "enum": [*col.categories, None]}
        return schema
    schema = {"type": ["integer", "null"] if col.nullable else "integer"}
    if col.kind == "float":
        schema["type"] = ["number", "null"] if col.nullable else "number"
    for key in ("minimum", "maximum"):
        if getattr(col, key) is not None:
            schema[key] = getattr(col, key)
    return schema


def _instance(contract: Contract) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "One applicant; nullable features may be omitted or null.",
        "properties": {c.name: value(c) for c in contract.features},
        "required": [c.name for c in contract.features if not c.nullable],
        "additionalProperties": False,
    }


def _tensor(
    name: dict[str, Any], datatypes: list[str], max_rows: int, items: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An OIP input tensor: shape [N] or [N, 1] with N at most `max_rows`, data `items`."""
    data: dict[str, Any] = {"type": "array", **({"items": items} if items else {})}
    return {
        "type": "object",
        "properties": {
            "name": name,
            "datatype": {"enum": datatypes},
            "shape": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": max_rows},
                "minItems": 1,
                "maxItems": 2,
            },
            "data": {**data, "maxItems": max_rows},
            "parameters": {
                "type": "object",
                "properties": {"binary_data_size": {"type": "integer", "minimum": 0}},
            },
        },
        "required": ["name", "datatype", "shape"],
    }


def _feature_tensor(col: Column, max_rows: int) -> dict[str, Any]:
    """The input tensor of one feature (pandas codec: each row a value or a one-value list)."""
    item = value(col)
    datatypes = ["BYTES"] if col.kind == "category" else NUMBERS
    rows = {"anyOf": [item, {"type": "array", "items": item, "maxItems": 1}]}
    return _tensor({"const": col.name}, datatypes, max_rows, rows)


def schemas(contract: Contract, max_rows: int, labels: tuple[str, str]) -> dict[str, Any]:
    """components.schemas: requests, responses and the error body."""
    probability = {"type": "number", "minimum": 0, "maximum": 1}
    return {
        "Instance": _instance(contract),
        "PredictRequest": {
            "type": "object",
            "properties": {
                "instances": {
                    "type": "array",
                    "items": ref("Instance"),
                    "minItems": 1,
                    "maxItems": max_rows,
                }
            },
            "required": ["instances"],
            "additionalProperties": False,
        },
        "PredictResponse": {
            "type": "object",
            "properties": {
                "model_name": {"type": "string"},
                "model_version": {"type": "string"},
                "threshold": probability,
                "predictions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "probability": probability,
                            "label": {"enum": list(labels)},
                        },
                        "required": ["probability", "label"],
                    },
                },
            },
            "required": ["model_name", "model_version", "threshold", "predictions"],
        },
        "InferenceRequest": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "inputs": {
                    "type": "array",
                    "items": {"oneOf": [_feature_tensor(c, max_rows) for c in contract.features]},
                    "minItems": len(contract.features),
                    "maxItems": len(contract.features),
                },
                "outputs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"const": "probability"},
                            "parameters": {
                                "type": "object",
                                "properties": {"binary_data": {"type": "boolean"}},
                            },
                        },
                        "required": ["name"],
                    },
                },
                "parameters": {
                    "type": "object",
                    "properties": {"binary_data_output": {"type": "boolean"}},
                },
            },
            "required": ["inputs"],
            "additionalProperties": False,
        },
        "InferenceResponse": {
            "type": "object",
            "properties": {
                "model_name": {"type": "string"},
                "model_version": {"type": "string"},
                "id": {"type": "string"},
                "outputs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"const": "probability"},
                            "datatype": {"const": "FP64"},
                            "shape": {"type": "array", "items": {"type": "integer"}},
                            "data": {"type": "array", "items": probability},
                            "parameters": {"type": "object"},
                        },
                        "required": ["name", "datatype", "shape"],
                    },
                },
            },
            "required": ["model_name", "outputs"],
        },
        "Error": {
            "type": "object",
            "properties": {"error": {"type": "string"}},
            "required": ["error"],
        },
        "Object": {"type": "object"},
    }


def generic_schemas(max_rows: int) -> dict[str, Any]:
    """Schemas for repository mode, where each model has its own inputs."""
    tensor = _tensor({"type": "string"}, ["BYTES", *NUMBERS], max_rows)
    single = schemas(_NO_FEATURES, max_rows, ("good", "bad"))
    request = single["InferenceRequest"]
    request["properties"]["inputs"] = {"type": "array", "items": tensor, "minItems": 1}
    state = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "version": {"type": "string"},
            "state": {"enum": ["READY", "UNAVAILABLE"]},
            "reason": {"type": "string"},
        },
        "required": ["name", "state"],
    }
    keep = ("InferenceRequest", "InferenceResponse", "Error", "Object")
    return {**{k: single[k] for k in keep}, "ModelState": state}


_NO_FEATURES = Contract(features=())
