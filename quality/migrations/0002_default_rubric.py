from django.db import migrations

DEFAULT_RUBRIC = [
    ("Solved the problem", "Did the customer leave with the problem solved, or a clear next step?"),
    ("Accuracy", "Was everything the agent said true, and in line with the help centre?"),
    ("Tone", "Warm, plain and respectful, in the customer's language."),
    ("Followed policy", "Identity checks, refunds and escalations done as the policy says."),
    ("Privacy", "Asked only for what was needed; no card numbers or passwords requested."),
]


def default_rubric_and_thresholds(apps, schema_editor):
    RubricCriterion = apps.get_model("quality", "RubricCriterion")
    QualityThresholds = apps.get_model("quality", "QualityThresholds")
    for position, (name, guidance) in enumerate(DEFAULT_RUBRIC):
        RubricCriterion.objects.get_or_create(
            name=name, defaults={"guidance": guidance, "position": position}
        )
    if not QualityThresholds.objects.exists():
        QualityThresholds.objects.create()


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]

    operations = [migrations.RunPython(default_rubric_and_thresholds, migrations.RunPython.noop)]
