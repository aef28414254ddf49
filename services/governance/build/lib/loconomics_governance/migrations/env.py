from loconomics_governance.models import Base
from loconomics_plumbing.migrate import run_env

run_env(Base.metadata)
