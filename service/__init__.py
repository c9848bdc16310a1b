"""royalty-ledger: books between download stores, collecting societies and rights holders."""

from sqlmodel import SQLModel

# Named constraints from the first migration on, so later migrations can alter them by name
# on every engine. Set here because every model module imports this package first.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
