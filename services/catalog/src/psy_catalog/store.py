"""Catalog tables (SQLAlchemy Core). Queries live with the use case that needs them."""

from psy_platform.db import new_metadata
from psy_platform.outbox import outbox_table
from psy_platform.processed import processed_table
from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    Table,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

metadata = new_metadata()
outbox = outbox_table(metadata)
processed = processed_table(metadata)

psychologist = Table(
    "psychologist",
    metadata,
    Column("id", Uuid, primary_key=True),  # = the identity account id
    Column("full_name", Text, nullable=False),
    # normalize_name(full_name): lower case, ё = е, letters only; what `q` is matched against
    Column("search_name", Text, nullable=False),
    Column("school", Text, nullable=False),
    Column("region", Text, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("topics", ARRAY(Text), nullable=False),
    Column("formats", ARRAY(Text), nullable=False),
    Column("place", Text),  # default place of «Очно» consultations
    Column("about", Text, nullable=False, server_default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The nearest free future slot, overall and per format: kept with every slot change (and
    # refreshed as time passes) so search orders 10,000 psychologists without touching slots.
    Column("next_free_at", DateTime(timezone=True)),
    Column("next_free_video", DateTime(timezone=True)),
    Column("next_free_chat", DateTime(timezone=True)),
    Column("next_free_in_person", DateTime(timezone=True)),
    Index(
        "ix_psychologist_search_name_trgm",
        "search_name",
        postgresql_using="gin",
        postgresql_ops={"search_name": "gin_trgm_ops"},
    ),
    Index("ix_psychologist_topics", "topics", postgresql_using="gin"),
    Index("ix_psychologist_region", "region"),
)

schedule_rule = Table(
    "schedule_rule",
    metadata,
    Column("psychologist_id", Uuid, ForeignKey("psychologist.id"), primary_key=True),
    Column("weekday", SmallInteger, primary_key=True),  # ISO 1..7, local
    Column("start", Time, primary_key=True),  # local wall-clock time
    Column("duration_minutes", SmallInteger, nullable=False),
    Column("formats", ARRAY(Text), nullable=False),
    Column("place", Text),
)

schedule_exception = Table(
    "schedule_exception",
    metadata,
    Column("psychologist_id", Uuid, ForeignKey("psychologist.id"), primary_key=True),
    Column("day", Date, primary_key=True),  # a local date without generated slots (a holiday)
)

slot = Table(
    "slot",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("psychologist_id", Uuid, ForeignKey("psychologist.id"), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),  # UTC instant
    Column("ends_at", DateTime(timezone=True), nullable=False),
    # The calendar day of starts_at in the psychologist's zone: what date filters compare.
    Column("local_day", Date, nullable=False),
    Column("formats", ARRAY(Text), nullable=False),
    Column("place", Text),
    Column("status", Text, nullable=False, server_default="free"),  # free | taken | withdrawn
    Column("origin", Text, nullable=False),  # rule | single
    # manual: the psychologist withdrew it; schedule: a rule or exception change did (reversible)
    Column("withdrawn_reason", Text),
    Column("booking_id", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Generation is idempotent on this pair: running it twice opens nothing twice.
    UniqueConstraint("psychologist_id", "starts_at", name="uq_slot_psychologist_starts_at"),
    CheckConstraint("status IN ('free', 'taken', 'withdrawn')", name="status"),
    CheckConstraint("origin IN ('rule', 'single')", name="origin"),
    # Search: each psychologist's nearest free slot is the first entry of this index.
    Index(
        "ix_slot_free_by_psychologist",
        "psychologist_id",
        "starts_at",
        postgresql_where=text("status = 'free'"),
        postgresql_include=["formats"],
    ),
    # Search by dates: free slots of a few local days, grouped by psychologist.
    Index(
        "ix_slot_free_by_day",
        "local_day",
        "psychologist_id",
        "starts_at",
        postgresql_where=text("status = 'free'"),
        postgresql_include=["formats"],
    ),
)
