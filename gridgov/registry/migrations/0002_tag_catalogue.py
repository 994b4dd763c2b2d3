"""The catalogue of person tags (人员标签).

Rule tags are recomputed by ``registry.services.tags.person_rule_tags_recompute``; staff tags
are set by hand with who, when and why. ``sensitivity`` marks PIPL sensitive categories
(minors under 14, health) that need ``registry.view_sensitive`` to see.
"""

from django.db import migrations

# (code, name, kind, sensitivity, description)
CATALOGUE = [
    ("elderly-alone", "独居老人", "rule", "none", "60周岁及以上且独自居住"),
    ("advanced-age", "高龄", "rule", "none", "80周岁及以上"),
    ("minor", "未成年", "rule", "minor", "未满14周岁（个人信息保护法敏感个人信息）"),
    ("disability", "残疾", "staff", "health", "持有残疾人证"),
    ("low-income", "困难家庭/低保", "staff", "none", "最低生活保障或困难家庭"),
    ("key-youth", "重点青少年", "staff", "none", "需重点关注的青少年"),
    ("special-illness", "特殊病患", "staff", "health", "重大疾病、精神障碍等特殊病患"),
    ("maternal", "孕产妇", "staff", "health", "孕期及产后一年内"),
    ("veteran", "退役军人", "staff", "none", "退役军人及其他优抚对象"),
    ("party-member", "党员", "staff", "none", "中共党员"),
    ("volunteer", "志愿者", "staff", "none", "社区志愿者"),
    ("empty-nest", "空巢老人", "staff", "none", "子女不在身边的老年人"),
    ("unemployed", "失业人员", "staff", "none", "登记失业人员"),
]


def add_catalogue(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    for order, (code, name, kind, sensitivity, description) in enumerate(CATALOGUE, start=1):
        Tag.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "sensitivity": sensitivity,
                "description": description,
                "sort_order": order * 10,
                "is_active": True,
            },
        )


def remove_catalogue(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    PersonTag = apps.get_model("registry", "PersonTag")
    codes = [row[0] for row in CATALOGUE]
    PersonTag.objects.filter(tag__code__in=codes).delete()
    Tag.objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(add_catalogue, remove_catalogue)]
