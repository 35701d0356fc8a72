"""A conversation workflow changed incompatibly, as a careless deploy would: it sleeps before it starts.

Its runs start a timer the recorded histories never saw, so replaying them with it must report a
difference (what `convoflow audit replay` exists to catch before the deploy does).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from engine.contracts.conversation import ConversationStart, ConversationState
    from workflows.conversation.workflow import ConversationWorkflow


@workflow.defn(name="ConversationWorkflow")
class SleepFirstConversation(ConversationWorkflow):
    @workflow.run
    async def run(self, start: ConversationStart) -> ConversationState:
        await workflow.sleep(timedelta(seconds=1))  # a timer the recorded runs never started
        return await super().run(start)
