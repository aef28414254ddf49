"""How the deployment files chain a service's one-shot steps, read back for the tests."""

from __future__ import annotations


def one_shot_steps(command: list[str]) -> list[str]:
    """`["sh", "-c", "a && b"]` → `["a", "b"]`; a plain argv is a single step."""
    if command[:2] == ["sh", "-c"]:
        return [step.strip() for step in command[2].split("&&")]
    return [" ".join(command)]
