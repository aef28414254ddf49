from loconomics_plumbing.migrate import run_env
from loconomics_profiles import shop_models  # noqa: F401 - the shop's tables join the metadata
from loconomics_profiles.models import Base

run_env(Base.metadata)
