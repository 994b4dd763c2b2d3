"""The sheet layouts of the three imports (people, places, leases).

Headers and the words in choice columns are the file format that communities fill in, so they
are fixed Chinese terms; their explanations on the instructions sheet are translatable.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.registry.models import Dwelling, Estate, IdType, ImportJob, Residency, Sex

ID_TYPE_LABELS: dict[str, str] = {
    "居民身份证": IdType.RESIDENT_ID,
    "身份证": IdType.RESIDENT_ID,
    "护照": IdType.PASSPORT,
    "港澳居民来往内地通行证": IdType.HK_MACAO_PERMIT,
    "台湾居民来往大陆通行证": IdType.TAIWAN_PERMIT,
    "港澳台居民居住证": IdType.HMT_RESIDENCE_PERMIT,
    "外国人永久居留身份证": IdType.FOREIGN_PERMANENT_RESIDENCE,
}
SEX_LABELS: dict[str, str] = {"男": Sex.MALE, "女": Sex.FEMALE}
ROLE_LABELS: dict[str, str] = {
    "业主": Residency.Role.OWNER,
    "家庭成员": Residency.Role.FAMILY,
    "租客": Residency.Role.TENANT,
    "集体户": Residency.Role.COLLECTIVE,
}
USE_LABELS: dict[str, str] = {
    "住宅": Dwelling.Use.RESIDENTIAL,
    "商业": Dwelling.Use.COMMERCIAL,
    "商住两用": Dwelling.Use.MIXED,
    "公共部位": Dwelling.Use.COMMON,
}
ESTATE_KIND_LABELS: dict[str, str] = {
    "小区": Estate.Kind.ESTATE,
    "村宅": Estate.Kind.VILLAGE,
    "商业综合体": Estate.Kind.COMMERCIAL,
}
YES_NO = ("是", "否")

# The columns an error report adds; a corrected report can be uploaded again as it is.
REPORT_ROW = "错误行号"
REPORT_COLUMN = "错误列"
REPORT_REASON = "错误原因"
REPORT_HEADERS = (REPORT_ROW, REPORT_COLUMN, REPORT_REASON)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    help: str | Promise
    required: bool = False
    choices: tuple[str, ...] = ()
    is_text: bool = False
    width: int = 14


def _id_type(key: str, header: str) -> Column:
    return Column(
        key,
        header,
        _("Choose from the list; empty means a resident identity card."),
        choices=tuple(label for label in ID_TYPE_LABELS if label != "身份证"),
        width=20,
    )


def _id_number(key: str, header: str) -> Column:
    return Column(
        key,
        header,
        _(
            "The full number as text (18 characters for an identity card; the last may be X). "
            "Numbers stored by Excel as numbers lose their last digits."
        ),
        required=True,
        is_text=True,
        width=22,
    )


def _phone(key: str, header: str) -> Column:
    return Column(
        key,
        header,
        _("A mobile number of 11 digits, or a landline with its area code, e.g. 021-64001234."),
        is_text=True,
        width=16,
    )


_ESTATE = Column("estate", "小区", _("Estate or village name, as registered."), required=True)
_BUILDING = Column("building", "楼栋", _("Building label, e.g. 12号楼."), required=True)
_UNIT = Column("unit", "单元", _("Unit or doorway label, e.g. 1单元; empty if none."))
_ROOM = Column("room", "室号", _("Room number, e.g. 301."), required=True, is_text=True)
_CELL = Column(
    "cell",
    "所属网格",
    _("Area code or exact area name; empty means the area chosen for the upload."),
    width=18,
)

PEOPLE_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", _("Full name."), required=True),
    _id_type("id_type", "证件类型"),
    _id_number("id_number", "证件号码"),
    Column(
        "sex",
        "性别",
        _("男 or 女; taken from the identity card number when empty."),
        choices=tuple(SEX_LABELS),
        width=8,
    ),
    Column(
        "birth_date",
        "出生日期",
        _("A date such as 1980-05-01; taken from the identity card number when empty."),
        width=12,
    ),
    _phone("phone", "手机号码"),
    Column("ethnicity", "民族", _("Optional, e.g. 汉族."), width=10),
    Column("hukou_address", "户籍地址", _("Household registration (户籍) address."), width=30),
    Column(
        "is_migrant",
        "是否来沪人员",
        _("是 for a migrant (来沪人员), otherwise 否."),
        choices=YES_NO,
        width=12,
    ),
    Column("contact_name", "联系人", _("Optional contact person.")),
    _phone("contact_phone", "联系人电话"),
    _CELL,
    Column(
        "estate",
        "小区",
        _(
            "Where the person lives: estate or village; leave the four address columns empty "
            "if not known."
        ),
    ),
    Column("building", "楼栋", _("Building label, e.g. 12号楼.")),
    _UNIT,
    Column("room", "室号", _("Room number, e.g. 301."), is_text=True),
    Column(
        "role",
        "居住身份",
        _("业主, 家庭成员, 租客 or 集体户; needed when an address is given."),
        choices=tuple(ROLE_LABELS),
    ),
    Column("started_on", "入住日期", _("Date moved in; empty means today."), width=12),
)

PLACES_COLUMNS: tuple[Column, ...] = (
    _ESTATE,
    Column(
        "estate_kind",
        "小区类型",
        _("小区, 村宅 or 商业综合体; empty means 小区."),
        choices=tuple(ESTATE_KIND_LABELS),
    ),
    _BUILDING,
    _UNIT,
    _ROOM,
    Column("floor", "楼层", _("Floor number; negative for basements."), width=8),
    Column(
        "area_m2",
        "面积(㎡)",
        _("Registered floor area in square metres (counts in owners' votes)."),
        width=10,
    ),
    Column(
        "use",
        "用途",
        _("住宅, 商业, 商住两用 or 公共部位; empty means 住宅."),
        choices=tuple(USE_LABELS),
        width=10,
    ),
    _CELL,
    Column("lng", "经度", _("Optional WGS-84 longitude of the building."), width=12),
    Column("lat", "纬度", _("Optional WGS-84 latitude of the building."), width=12),
)

LEASES_COLUMNS: tuple[Column, ...] = (
    _ESTATE,
    _BUILDING,
    _UNIT,
    _ROOM,
    Column("landlord_name", "出租人姓名", _("The landlord's full name."), required=True),
    _id_type("landlord_id_type", "出租人证件类型"),
    _id_number("landlord_id_number", "出租人证件号码"),
    _phone("landlord_phone", "出租人手机号码"),
    Column(
        "tenant_name",
        "承租人姓名",
        _("One tenant per row; rows with the same dwelling, landlord and dates form one lease."),
        required=True,
    ),
    _id_type("tenant_id_type", "承租人证件类型"),
    _id_number("tenant_id_number", "承租人证件号码"),
    _phone("tenant_phone", "承租人手机号码"),
    Column("started_on", "起租日期", _("Lease start date."), required=True, width=12),
    Column(
        "ends_on", "到期日期", _("Lease end date, after the start date."), required=True, width=12
    ),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportJob.Kind.PEOPLE: PEOPLE_COLUMNS,
    ImportJob.Kind.PLACES: PLACES_COLUMNS,
    ImportJob.Kind.LEASES: LEASES_COLUMNS,
}

SHEET_TITLES: dict[str, str] = {
    ImportJob.Kind.PEOPLE: "人员信息",
    ImportJob.Kind.PLACES: "房屋信息",
    ImportJob.Kind.LEASES: "租赁登记",
}


def columns_for(kind: str) -> tuple[Column, ...]:
    return COLUMNS[kind]


def header_of(kind: str, key: str) -> str:
    for column in COLUMNS[kind]:
        if column.key == key:
            return column.header
    return ""
