# One image for the API and the workers; `convoflow api` / `convoflow worker` choose the part.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY workflows ./workflows
COPY activities ./activities
COPY rule_packs ./rule_packs
RUN pip install --no-cache-dir --no-deps . && useradd --create-home convoflow && mkdir /data && chown convoflow /data
USER convoflow
ENV CONVOFLOW_API_HOST=0.0.0.0 CONVOFLOW_DATA_DIR=/data CONVOFLOW_RULE_PACK=/app/rule_packs/default
ENTRYPOINT ["convoflow"]
