"""The workflow sandbox, minus its per-payload round trip into the sandbox for a serialization context.

temporalio asks the workflow instance which serialization context each payload of an activation
and of its completion belongs to (the workflow's, or that of the activity a command schedules), so a
codec can key on it; our codec reads the tenant from it (engine/service/payload_codec.py). The
sandboxed instance answers each such question by `exec`-ing a snippet inside the sandbox with its
import hooks applied: measured under the lifecycle bench, ~0.5 ms a payload and a fifth of the
worker's busy time, for what is a lookup in two dicts of the instance.

The answer is computed by the very same method on the very same in-sandbox instance here, only
called directly: it reads the instance's own info and pending commands and builds frozen
dataclasses of `temporalio.converter` (passed through, the same classes inside and out). It runs no
workflow code and imports nothing, which is what the sandbox's import hooks guard. Before the
instance exists (or if a future SDK renames it) we fall back to the SDK's way.

Between activations, the SDK's instance keeps the last activation's completion and a sub-message
of the last activation (the deployment version of its task). A protobuf (upb) sub-message keeps the
whole arena it was parsed into, so every cached workflow held its last activation and completion
whole, payloads included: ~30 KB of native memory per cached conversation, measured under
`python -m bench memory`. Both are set afresh at the start of every activation and read only
during one; after an activation the instance gets an empty completion and a detached copy of the
version, so a cached, idle workflow holds neither.
"""

from __future__ import annotations

from typing import Any

from temporalio.bridge.proto.common import WorkerDeploymentVersion
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.worker._workflow_instance import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance

IN_SANDBOX = "__temporal_in_sandbox"


class _DirectContextInstance(_Instance):
    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        completion = super().activate(act)
        _release_activation(getattr(self.globals_and_locals.get(IN_SANDBOX), "instance", None))
        return completion

    def get_serialization_context(self, command_info: Any) -> Any:
        in_sandbox: Any = self.globals_and_locals.get(IN_SANDBOX)
        if in_sandbox is None:
            return super().get_serialization_context(command_info)
        return in_sandbox.get_serialization_context(command_info)

    def get_external_store_context(self, command_info: Any) -> Any:
        in_sandbox: Any = self.globals_and_locals.get(IN_SANDBOX)
        if in_sandbox is None:
            return super().get_external_store_context(command_info)
        return in_sandbox.get_external_store_context(command_info)


def _release_activation(instance: Any) -> None:
    """Let the last activation's and completion's protobuf arenas go (see the module docstring)."""
    if isinstance(getattr(instance, "_current_completion", None), WorkflowActivationCompletion):
        instance._current_completion = WorkflowActivationCompletion()
    version = getattr(instance, "_deployment_version_for_current_task", None)
    if isinstance(version, WorkerDeploymentVersion):
        detached = WorkerDeploymentVersion()
        detached.CopyFrom(version)
        instance._deployment_version_for_current_task = detached


class DirectContextSandboxRunner(SandboxedWorkflowRunner):
    """SandboxedWorkflowRunner whose instances answer serialization contexts without an `exec`."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _DirectContextInstance(det, self.runner_class, self.restrictions)
