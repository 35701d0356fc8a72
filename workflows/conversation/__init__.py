"""The conversation workflow, split by concept (see workflow.py for the order of its layers)."""
