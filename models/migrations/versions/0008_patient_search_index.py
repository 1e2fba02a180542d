"""an index for patient search that grows with the matches

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

- SQLite: patient_search_trigram, each patient's 3-character pieces of search_key in
  (trigram, search key, patient id) order, kept up to date by triggers on the patient
  table (patient_search_position numbers a key's characters for them).
- PostgreSQL: the pg_trgm extension (when the server allows it) and a GIN trigram index
  on patient.search_key.

See models/search_index.py. The tables themselves do not change.
"""

from alembic import op

from models import search_index

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    search_index.create(op.get_bind())


def downgrade() -> None:
    search_index.drop(op.get_bind())
