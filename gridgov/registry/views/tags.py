"""The tag overview (人员标签): how many people in scope carry each tag, one click to the list
of those people (e.g. 独居老人 in my grid), printable and exportable from there."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gridgov.accounts.roles import Perm
from gridgov.registry.selectors.summary import cell_choices_for_actor, tag_counts_for_actor
from gridgov.registry.views.common import require


@login_required
@require_GET
def tag_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.PERSON_VIEW)
    cell = request.GET.get("cell", "").strip()[:32] or None
    counts = tag_counts_for_actor(actor=request.user, cell_code=cell)
    context = {
        "counts": counts,
        "rule_counts": [item for item in counts if item.kind == "rule"],
        "staff_counts": [item for item in counts if item.kind == "staff"],
        "cell": cell or "",
        "cells": cell_choices_for_actor(actor=request.user, permission=Perm.PERSON_VIEW),
    }
    return render(request, "registry/tag_list.html", context)
