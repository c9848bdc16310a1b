"""Every table model, imported once so metadata is complete (Alembic, the schema test)."""

from sqlmodel import SQLModel

from service.auth import models as auth_models
from service.catalog import models as catalog_models
from service.ledger import models as ledger_models
from service.parties import models as parties_models
from service.portal import models as portal_models
from service.sales import models as sales_models
from service.sales.dsr_intake import models as dsr_intake_models
from service.scenarios import models as scenarios_models
from service.statements import models as statements_models
from service.takedowns import models as takedowns_models
from service.tariffs import models as tariffs_models
from service.transparency import models as transparency_models

metadata = SQLModel.metadata

__all__ = [
    "auth_models",
    "catalog_models",
    "dsr_intake_models",
    "ledger_models",
    "metadata",
    "parties_models",
    "portal_models",
    "sales_models",
    "scenarios_models",
    "statements_models",
    "takedowns_models",
    "tariffs_models",
    "transparency_models",
]
