"""Indexes for the people search: the first characters of the name or of the initials, then
the list order (name_pinyin, id).

A search for 王 or "lj" is one stretch of such an index, already in list order, so the first
page costs 50 rows instead of a sort of every match (issue: p95 3.2 s on a million people).
They are expression indexes built through the schema editor, which writes them the way the
ORM's ``Substr`` is written on each backend (``SUBSTRING`` on PostgreSQL, ``SUBSTR`` on
SQLite). They live outside the model state on purpose: ``Person`` keeps its declared indexes
and ``makemigrations --check`` stays clean.
"""

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Substr

# (index name, column, number of leading characters): see ``_HEAD_LENGTHS`` in
# ``registry/selectors/people.py``, which must agree.
SEARCH_INDEXES = (
    ("registry_person_name_head_idx", "name", 1),
    ("registry_person_inits_head_idx", "name_initials", 2),
)


def _indexes() -> list[models.Index]:
    return [
        models.Index(Substr(column, 1, length), F("name_pinyin"), F("id"), name=name)
        for name, column, length in SEARCH_INDEXES
    ]


def add_search_indexes(apps, schema_editor):
    person = apps.get_model("registry", "Person")
    for index in _indexes():
        schema_editor.add_index(person, index)


def remove_search_indexes(apps, schema_editor):
    person = apps.get_model("registry", "Person")
    for index in _indexes():
        schema_editor.remove_index(person, index)


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_tag_catalogue")]

    operations = [
        migrations.RunPython(add_search_indexes, remove_search_indexes, elidable=False),
    ]
