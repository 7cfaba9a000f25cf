"""Submit a run of a WorkflowTemplate to an Argo Server (URL and token from the environment)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from model import config
from model.config import CheckFailed
from model.training import spec


class SubmitError(CheckFailed):
    """The run could not be submitted; the message says what to set or check."""


@dataclass(frozen=True)
class Submitted:
    """The Workflow the server created from the template."""

    name: str
    namespace: str
    template: str


def parse_params(pairs: list[str]) -> list[str]:
    """Validate `key=value` arguments (Argo's own submit format)."""
    bad = [p for p in pairs if "=" not in p or not p.split("=", 1)[0]]
    if bad:
        raise SubmitError(f"expected parameters as key=value; got {', '.join(bad)}")
    return pairs


def submit(template: str, params: list[str], namespace: str = spec.NAMESPACE) -> Submitted:
    """POST /api/v1/workflows/{ns}/submit for `template` with `params`; return the run."""
    from hera.exceptions import HeraException
    from hera.workflows import WorkflowsService
    from hera.workflows import models as m
    from pydantic import ValidationError
    from pydantic.warnings import PydanticDeprecatedSince20
    from requests import RequestException

    url, token = config.get(config.ARGO_SERVER_URL), config.get(config.ARGO_TOKEN)
    if not url:
        raise SubmitError(f"set {config.ARGO_SERVER_URL} to the Argo Server's URL (https://…)")
    service = WorkflowsService(host=url, token=token, namespace=namespace)
    request = m.WorkflowSubmitRequest(
        namespace=namespace,
        resourceKind="WorkflowTemplate",
        resourceName=template,
        submitOptions=m.SubmitOpts(parameters=parse_params(params) or None),
    )
    try:
        with warnings.catch_warnings():
            # hera 7.1 serialises the request with pydantic's deprecated `.json()`; not ours.
            warnings.simplefilter("ignore", PydanticDeprecatedSince20)
            run = service.submit_workflow(request, namespace=namespace)
    except (HeraException, RequestException, ValidationError) as err:
        raise SubmitError(f"the Argo Server at {url} refused or failed the submit: {err}") from err
    name = run.metadata.name if run.metadata and run.metadata.name else "?"
    return Submitted(name=name, namespace=namespace, template=template)
