"""The running service around the pure cores: settings, the embedded Temporal server and its client,
the worker, the published pack store and the supervisor that starts them together (`convoflow up`)."""
