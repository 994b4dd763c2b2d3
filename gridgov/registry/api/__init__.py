"""``/api/v1/`` for people and housing (DESIGN D10): parse, call one service or selector, answer.

One module per part — people, places, housing (leases, residencies, ownerships, households),
imports; the views are re-exported here for ``api_urls``.
"""

from gridgov.registry.api.housing import (
    HouseholdListView,
    HouseholdMemberListView,
    HouseholdMemberRemoveView,
    LeaseDetailView,
    LeaseEndView,
    LeaseExportView,
    LeaseListView,
    OwnershipEndView,
    OwnershipListView,
    ResidencyEndView,
    ResidencyListView,
)
from gridgov.registry.api.imports import (
    ImportCommitView,
    ImportDetailView,
    ImportErrorReportView,
    ImportListView,
)
from gridgov.registry.api.people import (
    PersonDetailView,
    PersonExportView,
    PersonListView,
    PersonRevealView,
    PersonSearchView,
    PersonTagView,
    PersonVerifyView,
    QualityView,
    TagListView,
)
from gridgov.registry.api.places import (
    BuildingDetailView,
    BuildingListView,
    DwellingDetailView,
    DwellingFileView,
    DwellingListView,
    EstateDetailView,
    EstateListView,
    UnitListView,
)

__all__ = [
    "BuildingDetailView",
    "BuildingListView",
    "DwellingDetailView",
    "DwellingFileView",
    "DwellingListView",
    "EstateDetailView",
    "EstateListView",
    "HouseholdListView",
    "HouseholdMemberListView",
    "HouseholdMemberRemoveView",
    "ImportCommitView",
    "ImportDetailView",
    "ImportErrorReportView",
    "ImportListView",
    "LeaseDetailView",
    "LeaseEndView",
    "LeaseExportView",
    "LeaseListView",
    "OwnershipEndView",
    "OwnershipListView",
    "PersonDetailView",
    "PersonExportView",
    "PersonListView",
    "PersonRevealView",
    "PersonSearchView",
    "PersonTagView",
    "PersonVerifyView",
    "QualityView",
    "ResidencyEndView",
    "ResidencyListView",
    "TagListView",
    "UnitListView",
]
