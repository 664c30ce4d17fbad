"""Evaluation harness: sets, metrics, suites, reports and the quality gate.

    lianxin eval all --set ../shared/eval --json               # every suite, every configuration
    lianxin eval all --set ../shared/eval --distractors 0.02   # a smaller KB: expected entries + 2% others
    lianxin eval gate [--gate full]                            # the CI subset against eval/floors.json

Modules: ``datasets`` (JSONL/CSV/xlsx sets, validation against the KB), ``metrics`` (pure
functions), ``runner`` (suites over callables of the real components), ``systems`` (wires
retrieval, the assistant and the classifier per configuration), ``kbset`` (the KB under
evaluation, ingested with the ingest adapters), ``report`` (Markdown, HTML with plots),
``gate`` + ``floors.json``, ``service`` + ``models`` (stored runs, per-question comparison).
"""
