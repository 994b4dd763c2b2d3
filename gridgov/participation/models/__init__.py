"""Participation's models, one module per part: votes (业主表决), consultations (征询),
multi-stage projects (加装电梯等), property-service supervision (物业测评、四公开一监督)."""

from gridgov.participation.models.consultations import *  # noqa: F403
from gridgov.participation.models.projects import *  # noqa: F403
from gridgov.participation.models.supervision import *  # noqa: F403
from gridgov.participation.models.votes import *  # noqa: F403
