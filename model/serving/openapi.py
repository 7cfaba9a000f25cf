"""The OpenAPI 3.1 document, generated once at start-up from the model's data contract.

Categories become enums, nullable features accept null, and the contract's ranges become
minimum/maximum (they bound the training data; the server scores values outside them too).
Nothing here runs per request: the app serves the bytes built at start-up.
"""

from __future__ import annotations

from typing import Any

from model.core.schema import Column, Contract
from model.serving.openapi_schemas import generic_schemas, ref, schemas

JSON = "application/json"
ERRORS = {
    "400": "The body is not JSON (or its binary framing is broken).",
    "404": "No such route or model.",
    "405": "Wrong method for this route.",
    "413": "The body exceeds the configured size limit.",
    "415": "Unsupported media type, encoding or charset.",
    "422": "The body is JSON but breaks the contract; the message names the field.",
    "503": "The model is not ready (integrity check or load failed), or the server is busy.",
}


def _example(col: Column) -> Any:
    """A typical value: the first category, or the middle of the range."""
    if col.kind == "category":
        return col.categories[0] if col.categories else ""
    low = col.minimum if col.minimum is not None else 0
    high = col.maximum if col.maximum is not None else low
    middle = (low + high) / 2
    return round(middle) if col.kind == "int" else float(middle)


def _content(schema: dict[str, Any], example: Any = None, media: str = JSON) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": schema}
    if example is not None:
        body["example"] = example
    return {media: body}


def _operation(summary: str, ok: dict[str, Any], errors: tuple[str, ...], **extra: Any) -> Any:
    """One operation: its 200 content and the error statuses it can answer."""
    responses: dict[str, Any] = {"200": {"description": "OK", "content": ok}}
    for code in errors:
        responses[code] = {"description": ERRORS[code], "content": _content(ref("Error"))}
    return {"summary": summary, "responses": responses, **extra}


def _get(summary: str, schema: str = "Object", errors: tuple[str, ...] = ("404",)) -> Any:
    return {"get": _operation(summary, _content(ref(schema)), errors)}


READY = {
    "type": "object",
    "properties": {"ready": {"type": "boolean"}, "reason": {"type": "string"}},
    "required": ["ready"],
}
NAME = {"name": "model_name", "in": "path", "required": True, "schema": {"type": "string"}}
VERSION = {"name": "model_version", "in": "path", "required": True, "schema": {"type": "string"}}
FRAMING = {
    "name": "Inference-Header-Content-Length",
    "in": "header",
    "required": False,
    "description": "Binary tensor data extension: the byte length of the JSON header that "
    "starts the body; the inputs' raw bytes follow, sized by binary_data_size.",
    "schema": {"type": "integer", "minimum": 1},
}
DATATYPE = {"category": "BYTES", "int": "INT64", "float": "FP64"}
BODY_ERRORS = ("400", "404", "413", "415", "422", "503")


def _ready() -> dict[str, Any]:
    op = _operation("Readiness of the model.", _content(READY), ("404",))
    op["responses"]["503"] = {"description": ERRORS["503"], "content": _content(READY)}
    return {"get": op}


def _infer(examples: dict[str, Any]) -> dict[str, Any]:
    binary = {"type": "string", "contentMediaType": "application/octet-stream"}
    ok = {
        **_content(ref("InferenceResponse")),
        **_content(binary, media="application/octet-stream"),
    }
    body = {
        "required": True,
        "content": {
            **_content(ref("InferenceRequest"), examples["infer"]),
            **_content(binary, media="application/octet-stream"),
        },
    }
    op = _operation("Open Inference Protocol inference (pandas codec).", ok, BODY_ERRORS)
    return {"post": {**op, "parameters": [FRAMING], "requestBody": body}}


def _model_paths(prefix: str, examples: dict[str, Any]) -> dict[str, Any]:
    return {
        prefix: _get("Model metadata: inputs, outputs, versions."),
        f"{prefix}/ready": _ready(),
        f"{prefix}/infer": _infer(examples),
    }


def paths(examples: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every route the app serves (the repository adds its own through `extra`)."""
    predict = _operation(
        "Score applicants: a probability and a label each.",
        _content(ref("PredictResponse"), examples["predict_response"]),
        BODY_ERRORS,
        requestBody={
            "required": True,
            "content": _content(ref("PredictRequest"), examples["predict"]),
        },
    )
    models = {
        **_model_paths("/v2/models/{model_name}", examples),
        **_model_paths("/v2/models/{model_name}/versions/{model_version}", examples),
    }
    for path, item in models.items():
        item["parameters"] = [NAME, VERSION] if "{model_version}" in path else [NAME]
    text = {"text/plain": {"schema": {"type": "string"}}}
    return {
        "/v1/predict": {"post": predict},
        "/v2": _get("Server metadata and extensions.", errors=()),
        "/v2/health/live": _get("Liveness.", errors=()),
        "/v2/health/ready": _ready(),
        **models,
        "/model": _get("The served model: version, provenance, digest, features.", errors=("503",)),
        "/metrics": {"get": _operation("Prometheus metrics.", text, ())},
        "/openapi.json": _get("This document.", errors=()),
        **(extra or {}),
    }


def examples(contract: Contract, labels: tuple[str, str]) -> dict[str, Any]:
    """Request and response examples built from the contract (tests validate them)."""
    row = {c.name: _example(c) for c in contract.features}
    tensors = [
        {
            "name": c.name,
            "datatype": "BYTES"
            if c.kind == "category"
            else ("INT64" if c.kind == "int" else "FP64"),
            "shape": [1],
            "data": [row[c.name]],
        }
        for c in contract.features
    ]
    prediction = {"probability": 0.25, "label": labels[0]}
    return {
        "predict": {"instances": [row]},
        "predict_response": {
            "model_name": "credit-scoring",
            "model_version": "f70c23432942",
            "threshold": 0.5,
            "predictions": [prediction],
        },
        "infer": {"inputs": tensors},
    }


def document(
    contract: Contract, max_rows: int, labels: tuple[str, str], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "credit-scoring model server",
            "version": "1",
            "description": "POST /v1/predict and the Open Inference Protocol v2 (REST), with "
            "the binary tensor data extension. Bad input is a 4xx whose body names the field.",
        },
        "paths": paths(examples(contract, labels), extra),
        "components": {"schemas": schemas(contract, max_rows, labels)},
    }


def _repository_paths() -> dict[str, Any]:
    """The model repository extension's routes."""
    index = {"type": "array", "items": ref("ModelState")}
    filters = {"type": "object", "properties": {"ready": {"type": "boolean"}}}
    listing = _operation("Every registered model and its state.", _content(index), ("422",))
    listing["requestBody"] = {"required": False, "content": _content(filters)}
    paths = {"/v2/repository/index": {"post": listing}}
    for action, summary, errors in (
        ("load", "Verify and load the model now (retries a failed one).", ("404", "422", "503")),
        ("unload", "Drop the model from memory.", ("404",)),
    ):
        op = _operation(summary, _content(ref("Object")), errors)
        op["requestBody"] = {"required": False, "content": _content(ref("Object"))}
        paths[f"/v2/repository/models/{{model_name}}/{action}"] = {"post": op, "parameters": [NAME]}
    return paths


def repository_document(max_rows: int) -> dict[str, Any]:
    """The OpenAPI 3.1 document of repository mode: models differ, so tensors are generic."""
    no_examples = {"infer": None}
    models = {
        **_model_paths("/v2/models/{model_name}", no_examples),
        **_model_paths("/v2/models/{model_name}/versions/{model_version}", no_examples),
    }
    for path, item in models.items():
        item["parameters"] = [NAME, VERSION] if "{model_version}" in path else [NAME]
    text = {"text/plain": {"schema": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "model repository server",
            "version": "1",
            "description": "The Open Inference Protocol v2 over many models, with the model "
            "repository and binary tensor data extensions. GET /v2/models/{name} gives a "
            "model's own inputs.",
        },
        "paths": {
            "/v2": _get("Server metadata and extensions.", errors=()),
            "/v2/health/live": _get("Liveness.", errors=()),
            "/v2/health/ready": _ready(),
            **models,
            **_repository_paths(),
            "/metrics": {"get": _operation("Prometheus metrics.", text, ())},
            "/openapi.json": _get("This document.", errors=()),
        },
        "components": {"schemas": generic_schemas(max_rows)},
    }
