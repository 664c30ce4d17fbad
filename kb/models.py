"""ORM models of the federated 一问一答 knowledge base."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.db import Base, utcnow

REGION_LEVELS = ("province", "city", "county")
SOURCE_TIERS = ("province", "city", "county", "department", "topic")
ENTRY_STATUSES = ("draft", "in_review", "published", "retired")
# "qa": an official 一问一答 entry that may be given to a citizen directly;
# "case": a 典型案例 (message + official reply) that agents read as a reference, never a direct answer.
ENTRY_KINDS = ("qa", "case")


class Region(Base):
    """An administrative region by its GB/T 2260 code."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), default=None)

    parent: Mapped[Region | None] = relationship(remote_side=[code])


class Source(Base):
    """One contributing knowledge base: a province, city or county, a department, or a topic."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    tier: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), default=None)
    department: Mapped[str | None] = mapped_column(String(128), default=None)

    region: Mapped[Region | None] = relationship()


entry_topics = Table(
    "entry_topics",
    Base.metadata,
    Column("entry_id", ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Topic(Base):
    """A special topic (专题) such as 高效办成一件事 or 两新."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Entry(Base):
    """One knowledge entry: a question, its similar questions and the official answer (答复口径)."""

    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("source_id", "external_key", name="uq_entries_source_external_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # content
    question: Mapped[str] = mapped_column(Text)
    similar_questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8), default="qa")
    # ownership
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), default=None, index=True)
    department: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    owner: Mapped[str | None] = mapped_column(String(128), default=None)
    # classification
    category: Mapped[str | None] = mapped_column(String(64), default=None)
    matter_key: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    aspect: Mapped[str | None] = mapped_column(String(32), default=None)
    # validity
    effective_from: Mapped[date | None] = mapped_column(Date, default=None)
    expires_at: Mapped[date | None] = mapped_column(Date, default=None)
    policy_ref: Mapped[str | None] = mapped_column(Text, default=None)
    # lifecycle
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # provenance
    external_key: Mapped[str | None] = mapped_column(String(255), default=None)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    source: Mapped[Source] = relationship(lazy="joined")
    region: Mapped[Region | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=entry_topics, lazy="selectin")
    versions: Mapped[list[EntryVersion]] = relationship(
        back_populates="entry", order_by="EntryVersion.version", cascade="all, delete-orphan"
    )

    @property
    def tier(self) -> str:
        """The entry's tier: a regional source's entries take their own region's level (a provincial
        portal may publish city-level items); department and topic sources keep their tier."""
        if self.source.tier in ("department", "topic") or self.region is None:
            return self.source.tier
        return self.region.level

    @property
    def topic_codes(self) -> list[str]:
        return [t.code for t in self.topics]

    def valid_on(self, day: date) -> bool:
        """True when the entry is in force on ``day`` (both bounds inclusive)."""
        if self.effective_from and day < self.effective_from:
            return False
        return not (self.expires_at and day > self.expires_at)


class EntryVersion(Base):
    """A snapshot of an entry's content at one version: the full history of changes."""

    __tablename__ = "entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_entry_versions_entry_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="versions")


class EntryChange(Base):
    """The KB revision feed: one row per committed change; ``seq`` is the KB revision.

    Search processes poll ``seq > last_seen`` to follow edits without a rebuild.
    """

    __tablename__ = "entry_changes"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(16))  # create | update | status | retire
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
