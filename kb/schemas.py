"""Pydantic schemas of the knowledge base: what callers send and what they get back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EntryStatus = Literal["draft", "in_review", "published", "retired"]
EntryKind = Literal["qa", "case"]
Tier = Literal["province", "city", "county", "department", "topic"]


def _clean_list(values: list[str]) -> list[str]:
    seen: list[str] = []
    for v in values:
        v = v.strip()
        if v and v not in seen:
            seen.append(v)
    return seen


class EntryCreate(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    similar_questions: list[str] = Field(default_factory=list)
    answer: str = Field(min_length=1, max_length=100_000)
    kind: EntryKind = "qa"
    source_code: str
    region_code: str | None = None
    department: str | None = None
    owner: str | None = None
    category: str | None = None
    matter_key: str | None = None
    aspect: str | None = None
    topics: list[str] = Field(default_factory=list, description="topic codes")
    effective_from: date | None = None
    expires_at: date | None = None
    policy_ref: str | None = None
    status: EntryStatus = "draft"
    external_key: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("question", "answer")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v.strip()

    @field_validator("similar_questions", "topics")
    @classmethod
    def _dedupe(cls, v: list[str]) -> list[str]:
        return _clean_list(v)

    @model_validator(mode="after")
    def _dates_in_order(self) -> EntryCreate:
        if self.effective_from and self.expires_at and self.expires_at < self.effective_from:
            raise ValueError("expires_at is before effective_from: swap or correct the dates")
        return self


class EntryUpdate(BaseModel):
    """A partial edit; ``version`` is the version the editor saw (optimistic locking)."""

    version: int
    question: str | None = Field(default=None, min_length=1, max_length=2000)
    similar_questions: list[str] | None = None
    answer: str | None = Field(default=None, min_length=1, max_length=100_000)
    region_code: str | None = None
    department: str | None = None
    owner: str | None = None
    category: str | None = None
    matter_key: str | None = None
    topics: list[str] | None = None
    effective_from: date | None = None
    expires_at: date | None = None
    policy_ref: str | None = None
    note: str = ""

    @field_validator("similar_questions", "topics")
    @classmethod
    def _dedupe(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _clean_list(v)


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    question: str
    similar_questions: list[str]
    answer: str
    kind: str
    source_code: str
    tier: str
    region_code: str | None
    region_name: str | None
    department: str | None
    owner: str | None
    category: str | None
    matter_key: str | None
    aspect: str | None
    topics: list[str]
    effective_from: date | None
    expires_at: date | None
    policy_ref: str | None
    status: str
    version: int
    external_key: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, entry: Any) -> EntryRead:
        return cls(
            id=entry.id,
            question=entry.question,
            similar_questions=list(entry.similar_questions or []),
            answer=entry.answer,
            kind=entry.kind,
            source_code=entry.source.code,
            tier=entry.tier,
            region_code=entry.region_code,
            region_name=entry.region.name if entry.region else None,
            department=entry.department,
            owner=entry.owner,
            category=entry.category,
            matter_key=entry.matter_key,
            aspect=entry.aspect,
            topics=entry.topic_codes,
            effective_from=entry.effective_from,
            expires_at=entry.expires_at,
            policy_ref=entry.policy_ref,
            status=entry.status,
            version=entry.version,
            external_key=entry.external_key,
            created_at=entry.created_at,
            updated_at=entry.updated_at,
        )


class EntryPage(BaseModel):
    items: list[EntryRead]
    total: int
    offset: int
    limit: int


class EntryVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    snapshot: dict[str, Any]
    changed_by: str | None
    note: str
    changed_at: datetime


class RegionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: str
    parent_code: str | None
