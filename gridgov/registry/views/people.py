"""Pages about people: the searchable list, a person's page, registration, reveal, tags, export.

Thin views: parse, call one service or selector, render. Every person shown goes through
``PersonPresenter``, which masks identifiers; a clear value is only ever the answer of
``person_reveal`` (audited, with a purpose), sent once and never cached.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.registry.models import Tag
from gridgov.registry.presenters import PersonPresenter
from gridgov.registry.selectors.accounts import person_account_for_person
from gridgov.registry.selectors.people import (
    person_get_for_actor,
    person_list_for_actor,
    tag_catalogue,
)
from gridgov.registry.selectors.summary import cell_choices_for_actor, person_history_for_actor
from gridgov.registry.services.exports import people_export
from gridgov.registry.services.people import (
    person_register,
    person_reveal,
    person_update,
    person_verify,
)
from gridgov.registry.services.tags import tag_remove, tag_set
from gridgov.registry.views.common import (
    can,
    filters_without_query,
    paginate,
    people_filters,
    request_data,
    require,
    with_tag_classes,
)
from gridgov.registry.views.forms import (
    PersonEditForm,
    PersonRegisterForm,
    RevealForm,
    TagSetForm,
    add_service_errors,
)


def _visible_tags(request: HttpRequest, catalogue: list[Tag] | None = None) -> list[Tag]:
    """The tag catalogue; sensitive tags only for those who may see sensitive data somewhere."""
    sensitive = can(request, Perm.SENSITIVE_VIEW)
    catalogue = list(tag_catalogue()) if catalogue is None else catalogue
    return [tag for tag in catalogue if sensitive or tag.sensitivity == Tag.Sensitivity.NONE]


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def person_list(request: HttpRequest) -> HttpResponse:
    """人员查询: search by name, pinyin, initials, last digits or full ID; filter; page by 50."""
    require(request, Perm.PERSON_VIEW)
    filters = people_filters(request_data(request))
    people = person_list_for_actor(actor=request.user, **filters)
    page = paginate(people, request_data(request))
    catalogue = list(tag_catalogue())
    tags = _visible_tags(request, catalogue)
    context: dict[str, Any] = {
        "page": page,
        "rows": with_tag_classes(PersonPresenter(request.user).rows(page.object_list), catalogue),
        "filters": filters,
        "search": filters["query"] or "",
        "link_filters": filters_without_query(filters),
        "tags": tags,
        "cells": cell_choices_for_actor(actor=request.user, permission=Perm.PERSON_VIEW),
        "can_export": can(request, Perm.REGISTRY_EXPORT),
        "can_reveal": can(request, Perm.PERSON_REVEAL),
        "can_register": can(request, Perm.PERSON_MANAGE),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "registry/_person_results.html", context)
    return render(request, "registry/person_list.html", context)


@login_required
@require_POST
def person_export(request: HttpRequest) -> HttpResponse:
    """The people list as it is filtered, as xlsx: masked unless the exporter asks for clear
    values with a purpose and holds the reveal permission (audited either way)."""
    require(request, Perm.REGISTRY_EXPORT)
    filters = people_filters(request.POST)
    is_clear = request.POST.get("clear") == "1"
    try:
        export = people_export(
            actor=request.user,
            filters=filters,
            is_clear=is_clear,
            purpose=request.POST.get("purpose", ""),
        )
    except (ValidationError, PermissionDenied) as error:
        reasons = getattr(error, "messages", None) or [str(error)]
        messages.error(request, " ".join(str(reason) for reason in reasons))
        return redirect(_list_url(filters))
    response = HttpResponse(
        export.content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _list_url(filters: dict[str, Any]) -> str:
    from django.urls import reverse

    query = filters_without_query(filters)
    return reverse("registry:person_list") + (f"?{query}" if query else "")


def _detail_context(request: HttpRequest, person_id: int, **extra: Any) -> dict[str, Any]:
    person = person_get_for_actor(actor=request.user, person_id=person_id)
    catalogue = list(tag_catalogue())
    row = with_tag_classes([PersonPresenter(request.user).row(person)], catalogue)[0]
    history = person_history_for_actor(actor=request.user, person_id=person.pk)
    code = person.cell.code
    can_manage = can(request, Perm.PERSON_MANAGE, cell_code=code)
    may_see_sensitive = scope_for(request.user, Perm.SENSITIVE_VIEW).covers(code)
    staff_tags = [
        tag
        for tag in _visible_tags(request, catalogue)
        if tag.kind == Tag.Kind.STAFF
        and (may_see_sensitive or tag.sensitivity == Tag.Sensitivity.NONE)
    ]
    context: dict[str, Any] = {
        "person": person,
        "row": row,
        "history": history,
        "tag_links": [] if row["is_restricted"] else history.tags,
        "can_manage": can_manage,
        "can_reveal": can(request, Perm.PERSON_REVEAL, cell_code=code) and not row["is_restricted"],
        "tag_form": TagSetForm(tags=staff_tags) if can_manage and staff_tags else None,
        "edit_form": None,
        "account_link": person_account_for_person(actor=request.user, person_id=person.pk),
    }
    if can_manage and not row["is_restricted"]:
        context["edit_form"] = PersonEditForm(
            initial={
                "version": person.version,
                "name": person.name,
                "id_type": person.id_type,
                "ethnicity": person.ethnicity,
                "hukou_address": person.hukou_address,
                "is_migrant": person.is_migrant,
                "contact_name": person.contact_name,
            }
        )
    context.update(extra)
    return context


@login_required
@never_cache
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Perm.PERSON_VIEW)
    return render(request, "registry/person_detail.html", _detail_context(request, pk))


@login_required
@require_POST
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save an edit made on the version the worker read; a newer save by someone else is never
    overwritten — the worker is told and sees the current record."""
    require(request, Perm.PERSON_MANAGE)
    person = person_get_for_actor(actor=request.user, person_id=pk)
    form = PersonEditForm(request.POST)
    if form.is_valid():
        try:
            person_update(
                actor=request.user,
                person_id=person.pk,
                expected_version=form.cleaned_data["version"],
                **form.changes(person),
            )
        except ValidationError as error:
            if getattr(error, "code", "") == "concurrent_edit":
                messages.warning(request, " ".join(error.messages))
                return redirect("registry:person_detail", pk=person.pk)
            add_service_errors(form, error)
        else:
            messages.success(request, _("The record was saved."))
            return redirect("registry:person_detail", pk=person.pk)
    context = _detail_context(request, person.pk, edit_form=form, edit_open=True)
    return render(request, "registry/person_detail.html", context, status=400)


@login_required
@require_POST
@never_cache
def person_reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one identifier in clear, once, after the worker stated why (audited)."""
    form = RevealForm(request.POST)
    context: dict[str, Any] = {"person_id": pk, "form": form, "clear": None}
    if form.is_valid():
        try:
            context["clear"] = person_reveal(
                actor=request.user,
                person_id=pk,
                field=form.cleaned_data["field"],
                purpose=form.cleaned_data["purpose"],
            )
        except ValidationError as error:
            context["errors"] = error.messages
        except PermissionDenied as error:
            context["errors"] = [str(error) or _("You do not have permission to do this.")]
            return render(request, "registry/_reveal_result.html", context, status=403)
    else:
        context["errors"] = [_("Choose what to reveal.")]
    status = 200 if context.get("clear") is not None else 400
    response = render(request, "registry/_reveal_result.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def person_verify_view(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Perm.PERSON_MANAGE)
    person_verify(actor=request.user, person_id=pk)
    messages.success(request, _("Verified today: the record and the residence are confirmed."))
    return redirect("registry:person_detail", pk=pk)


@login_required
@require_POST
def person_tag_set(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Perm.PERSON_MANAGE)
    person = person_get_for_actor(actor=request.user, person_id=pk)
    form = TagSetForm(request.POST, tags=_visible_tags(request))
    if form.is_valid():
        try:
            tag_set(
                actor=request.user,
                person_id=person.pk,
                tag_code=form.cleaned_data["tag"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The tag was added."))
    else:
        messages.error(request, _("Choose a tag and state why it applies."))
    return redirect("registry:person_detail", pk=person.pk)


@login_required
@require_POST
def person_tag_remove(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Perm.PERSON_MANAGE)
    person = person_get_for_actor(actor=request.user, person_id=pk)
    try:
        removed = tag_remove(
            actor=request.user,
            person_id=person.pk,
            tag_code=request.POST.get("tag", "")[:40],
            reason=request.POST.get("reason", "")[:200],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if removed:
            messages.success(request, _("The tag was removed."))
    return redirect("registry:person_detail", pk=person.pk)


@login_required
@require_http_methods(["GET", "POST"])
def person_register_view(request: HttpRequest) -> HttpResponse:
    """登记人员: the ID number gives sex and birth date; each reason shows next to its field."""
    require(request, Perm.PERSON_MANAGE)
    cells = cell_choices_for_actor(actor=request.user, permission=Perm.PERSON_MANAGE)
    form = PersonRegisterForm(request.POST or None, cells=cells)
    if request.method == "POST" and form.is_valid():
        try:
            person = person_register(actor=request.user, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error("cell_code", str(error))
        else:
            messages.success(request, _("The person was registered."))
            return redirect("registry:person_detail", pk=person.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "registry/person_register.html", {"form": form}, status=status)
