from loconomics_plumbing.migrate import run_env
from loconomics_profiles.models import Base

run_env(Base.metadata)
