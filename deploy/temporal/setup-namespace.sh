#!/bin/sh
# One-shot: the namespace and convoflow's search attributes, one attribute per call (the CLI
# registers only the first of several --name flags). Retried: the namespace cache lags a few seconds.
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"
temporal operator namespace describe -n "$ns" >/dev/null 2>&1 || temporal operator namespace create -n "$ns" --retention 30d
for attr in ConvoTenant=Keyword ConvoStatus=Keyword ConvoChannel=Keyword ConvoPriority=Keyword \
            ConvoTeam=Keyword ConvoAssignee=Keyword ConvoLanguage=Keyword ConvoTags=KeywordList \
            ConvoSlaBreached=Bool ConvoCsat=Int ConvoFirstResponseSeconds=Int \
            ConvoCreatedAt=Datetime ConvoFirstAgentReplyAt=Datetime ConvoLastActivityAt=Datetime; do
  name="${attr%=*}"; type="${attr#*=}"
  for try in 1 2 3 4 5 6 7 8 9 10; do
    if temporal operator search-attribute create -n "$ns" --name "$name" --type "$type" >/dev/null 2>&1 \
       || temporal operator search-attribute list -n "$ns" | grep -q "$name"; then break; fi
    sleep 3
  done
done
