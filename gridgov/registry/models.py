"""People and housing (人房信息): places, people, households, residency, ownership, leases, tags.

Personal identifiers are never stored in clear (DESIGN D6): each is kept as AES-256-GCM
ciphertext (``*_encrypted``), a keyed HMAC for exact lookup (``*_hash``) and the few digits that
the masked form shows (``*_prefix`` / ``*_last4``). Only ``registry.services.protection`` writes
them and only ``registry.selectors.reveal`` reads the ciphertext back, with an audit row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# --- Places ----------------------------------------------------------------------------------


class Estate(models.Model):
    """An estate or village settlement (小区 / 村宅), in one grid cell."""

    class Kind(models.TextChoices):
        ESTATE = "estate", _("Residential estate")
        VILLAGE = "village", _("Village settlement")
        COMMERCIAL = "commercial", _("Commercial or mixed complex")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ESTATE)
    cell = models.ForeignKey(
        "grids.Cell", verbose_name=_("area"), on_delete=models.PROTECT, related_name="estates"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    property_company = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("property company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_estates",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("estate")
        verbose_name_plural = _("estates")

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building (楼栋); its cell is derived from its location or set by staff."""

    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), on_delete=models.PROTECT, related_name="buildings"
    )
    label = models.CharField(_("building"), max_length=50, help_text=_("e.g. 12号楼"))
    cell = models.ForeignKey(
        "grids.Cell", verbose_name=_("area"), on_delete=models.PROTECT, related_name="buildings"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors above ground"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["estate_id", "sort_order", "label"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(fields=["estate", "label"], name="registry_building_label")
        ]

    def __str__(self) -> str:
        return f"{self.estate.name}{self.label}"


class Unit(models.Model):
    """A unit or doorway (单元 / 门洞) of a building."""

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="units"
    )
    label = models.CharField(_("unit"), max_length=50, help_text=_("e.g. 1单元"))
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["building_id", "sort_order", "label"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(fields=["building", "label"], name="registry_unit_label")
        ]

    def __str__(self) -> str:
        return f"{self.building}{self.label}"


class Dwelling(models.Model):
    """A dwelling or other exclusive part (户室), or a common part of the building.

    ``area_m2`` is the registered exclusive floor area, which owners' votes count (民法典 第278条).
    """

    class Use(models.TextChoices):
        RESIDENTIAL = "residential", _("Residential")
        COMMERCIAL = "commercial", _("Commercial")
        MIXED = "mixed", _("Mixed use")
        COMMON = "common", _("Common part")

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="dwellings"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dwellings",
    )
    room = models.CharField(_("room"), max_length=30, help_text=_("e.g. 301"))
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    area_m2 = models.DecimalField(
        _("floor area (m²)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    use = models.CharField(_("use"), max_length=16, choices=Use.choices, default=Use.RESIDENTIAL)
    cell = models.ForeignKey(
        "grids.Cell", verbose_name=_("area"), on_delete=models.PROTECT, related_name="dwellings"
    )
    address = models.CharField(_("address"), max_length=250, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["building_id", "unit_id", "room"]
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"], name="registry_dwelling_room"
            ),
            models.CheckConstraint(
                condition=Q(area_m2__isnull=True) | Q(area_m2__gt=0),
                name="registry_dwelling_area_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.address


# --- People ----------------------------------------------------------------------------------


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO_PERMIT = (
        "hk_macao_permit",
        _("Mainland travel permit for Hong Kong and Macao residents"),
    )
    TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
    HMT_RESIDENCE_PERMIT = (
        "hmt_residence_permit",
        _("Residence permit for Hong Kong, Macao and Taiwan residents"),
    )
    FOREIGN_PERMANENT_RESIDENCE = (
        "foreign_permanent_residence",
        _("Foreigner's permanent residence ID card"),
    )


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    UNKNOWN = "U", _("Unknown")


class Person(models.Model):
    """A person in the registry. Identity is unique through the keyed hash of type + number."""

    id_type = models.CharField(_("identity document"), max_length=32, choices=IdType.choices)
    id_number_encrypted = models.TextField(editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_prefix = models.CharField(max_length=6, blank=True, editable=False)
    id_number_last4 = models.CharField(max_length=4, db_index=True, editable=False)
    name = models.CharField(_("name"), max_length=64, db_index=True)
    name_pinyin = models.CharField(max_length=200, db_index=True, editable=False)
    name_initials = models.CharField(max_length=64, db_index=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True, db_index=True)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_prefix = models.CharField(max_length=3, blank=True, editable=False)
    phone_last4 = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    hukou_address = models.CharField(
        _("household registration address"), max_length=200, blank=True
    )
    is_migrant = models.BooleanField(_("migrant (来沪人员)"), default=False, db_index=True)
    contact_name = models.CharField(_("contact person"), max_length=64, blank=True)
    contact_phone_encrypted = models.TextField(blank=True, editable=False)
    contact_phone_prefix = models.CharField(max_length=3, blank=True, editable=False)
    contact_phone_last4 = models.CharField(max_length=4, blank=True, editable=False)
    # The cell the person is registered in: their current dwelling's cell, else where staff
    # registered them. Every read is scoped by it.
    cell = models.ForeignKey(
        "grids.Cell", verbose_name=_("area"), on_delete=models.PROTECT, related_name="people"
    )
    is_deceased = models.BooleanField(_("deceased"), default=False)
    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True, db_index=True)
    # Optimistic locking: an edit carries the version it read; a stale one is refused.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_pinyin", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [models.Index(fields=["cell", "name_pinyin"])]

    def __str__(self) -> str:
        return self.name


class PersonAccount(models.Model):
    """The link between a sign-in account and the registry person it belongs to (实名认证).

    Residents take part as themselves (an owner votes, a resident rates the property company)
    only through this link; staff set it after checking identity in person, or a resident sets
    it with a code sent to the phone the registry holds for them.
    """

    class Method(models.TextChoices):
        STAFF = "staff", _("Checked in person by staff")
        SMS_CODE = "sms_code", _("Code sent to the registered phone")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="person_account",
    )
    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="account"
    )
    method = models.CharField(_("verified by"), max_length=16, choices=Method.choices)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by staff"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("person account")
        verbose_name_plural = _("person accounts")

    def __str__(self) -> str:
        return f"{self.user_id}→{self.person_id}"


class PersonAccountCode(models.Model):
    """One request for a link code (实名认证验证码) by a signed-in account.

    Every request is kept, matched or not, so that the hourly limit counts them all and the
    answer cannot tell a registered identity from an unknown one. Only a matched request has a
    ``person`` and a ``code_hash`` (a keyed hash, never the code); only the latest request of
    an account can be confirmed, within its expiry and its number of tries.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="person_account_codes",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    code_hash = models.CharField(max_length=64, blank=True, editable=False)
    requested_at = models.DateTimeField(_("requested at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("person account code")
        verbose_name_plural = _("person account codes")
        indexes = [models.Index(fields=["user", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.requested_at:%Y-%m-%d %H:%M}"


class Household(models.Model):
    """A household (户) with its head and members, usually living in one dwelling."""

    number = models.CharField(_("household number"), max_length=32, unique=True)
    dwelling = models.ForeignKey(
        Dwelling,
        verbose_name=_("dwelling"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    head = models.ForeignKey(
        Person,
        verbose_name=_("head of household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="headed_households",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.number


class HouseholdMember(models.Model):
    class Relation(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        GRANDCHILD = "grandchild", _("Grandchild")
        GRANDPARENT = "grandparent", _("Grandparent")
        SIBLING = "sibling", _("Sibling")
        OTHER_RELATIVE = "other_relative", _("Other relative")
        OTHER = "other", _("Other")

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="members"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="memberships"
    )
    relation = models.CharField(_("relation to head"), max_length=20, choices=Relation.choices)
    joined_on = models.DateField(_("joined"), null=True, blank=True)
    left_on = models.DateField(_("left"), null=True, blank=True)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(left_on__isnull=True),
                name="registry_one_current_household",
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id}:{self.person_id}"


class Residency(models.Model):
    """A person living in a dwelling, from a date to a date; moving out ends it, never deletes it.

    A person has at most one current residency (the database refuses a second).
    """

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        FAMILY = "family", _("Family member")
        TENANT = "tenant", _("Tenant")
        COLLECTIVE = "collective", _("Collective (dormitory)")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="residencies"
    )
    dwelling = models.ForeignKey(
        Dwelling, verbose_name=_("dwelling"), on_delete=models.PROTECT, related_name="residencies"
    )
    role = models.CharField(_("living as"), max_length=16, choices=Role.choices)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    lease = models.ForeignKey(
        "Lease",
        verbose_name=_("lease"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residencies",
    )
    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "id"]
        verbose_name = _("residency")
        verbose_name_plural = _("residencies")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(ended_on__isnull=True),
                name="registry_one_current_residency",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="registry_residency_dates",
            ),
        ]
        indexes = [models.Index(fields=["dwelling", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.dwelling_id}"


class Ownership(models.Model):
    """Ownership of a dwelling, with an exact share (numerator/denominator) for votes.

    The owner is a person or an organisation (e.g. the developer for unsold units).
    """

    dwelling = models.ForeignKey(
        Dwelling, verbose_name=_("dwelling"), on_delete=models.PROTECT, related_name="ownerships"
    )
    owner = models.ForeignKey(
        Person,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ownerships",
    )
    owner_organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("owning organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ownerships",
    )
    share_numerator = models.PositiveIntegerField(_("share numerator"), default=1)
    share_denominator = models.PositiveIntegerField(_("share denominator"), default=1)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner__isnull=False) & Q(owner_organization__isnull=True))
                | (Q(owner__isnull=True) & Q(owner_organization__isnull=False)),
                name="registry_ownership_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(share_numerator__gt=0)
                & Q(share_numerator__lte=models.F("share_denominator")),
                name="registry_ownership_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dwelling_id}:{self.share_numerator}/{self.share_denominator}"


class Lease(models.Model):
    """A rental registration (房屋租赁登记): the landlord registers together with every tenant."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")
        TERMINATED = "terminated", _("Terminated early")

    dwelling = models.ForeignKey(
        Dwelling, verbose_name=_("dwelling"), on_delete=models.PROTECT, related_name="leases"
    )
    landlord = models.ForeignKey(
        Person, verbose_name=_("landlord"), on_delete=models.PROTECT, related_name="leases_let"
    )
    tenants = models.ManyToManyField(
        Person, verbose_name=_("tenants"), through="LeaseTenant", related_name="leases_rented"
    )
    started_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    registered_at = models.DateTimeField(_("registered"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_group_rental_warning = models.BooleanField(_("group-rental warning"), default=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ends_on", "id"]
        verbose_name = _("lease")
        verbose_name_plural = _("leases")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("started_on")), name="registry_lease_dates"
            )
        ]
        indexes = [models.Index(fields=["status", "ends_on"])]

    def __str__(self) -> str:
        return f"lease {self.pk}"


class LeaseTenant(models.Model):
    lease = models.ForeignKey(Lease, on_delete=models.CASCADE, related_name="lease_tenants")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="lease_tenancies")

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        constraints = [
            models.UniqueConstraint(fields=["lease", "person"], name="registry_lease_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.lease_id}:{self.person_id}"


# --- Tags ------------------------------------------------------------------------------------


class Tag(models.Model):
    """A person tag (独居老人, 高龄, 残疾 …). Rule tags are recomputed; staff tags are set by hand.

    ``sensitivity`` marks PIPL sensitive categories that need their own permission to see.
    """

    class Kind(models.TextChoices):
        RULE = "rule", _("Derived by rule")
        STAFF = "staff", _("Set by staff")

    class Sensitivity(models.TextChoices):
        NONE = "none", _("Ordinary")
        MINOR = "minor", _("Minor (under 14)")
        HEALTH = "health", _("Health")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=8, choices=Sensitivity.choices, default=Sensitivity.NONE
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class PersonTag(models.Model):
    class Source(models.TextChoices):
        RULE = "rule", _("Rule")
        STAFF = "staff", _("Staff")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="person_tags")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="person_tags")
    source = models.CharField(max_length=8, choices=Source.choices)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField()
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("person tag")
        verbose_name_plural = _("person tags")
        constraints = [
            models.UniqueConstraint(fields=["person", "tag"], name="registry_person_tag")
        ]
        indexes = [models.Index(fields=["tag", "person"])]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.tag_id}"


# --- Bulk import ------------------------------------------------------------------------------


class ImportJob(models.Model):
    """An Excel upload: validated (dry run) first, then imported by a background task.

    Progress is kept here so the page and the command line can show it; the row-by-row error
    report is written next to the upload in the same sheet layout.
    """

    class Kind(models.TextChoices):
        PLACES = "places", _("Places")
        PEOPLE = "people", _("People")
        LEASES = "leases", _("Leases")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        VALIDATING = "validating", _("Checking")
        VALIDATED = "validated", _("Checked, ready to import")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    is_dry_run = models.BooleanField(_("check only"), default=True)
    is_all_or_nothing = models.BooleanField(_("all or nothing"), default=True)
    upload = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    error_report = models.FileField(_("error report"), upload_to="imports/%Y/%m/", blank=True)
    cell = models.ForeignKey(
        "grids.Cell",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"
