from django.db import models


class Priority(models.IntegerChoices):
    # Stored as a rank, so ordering by priority is low < medium < high.
    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"


# A rank's name, read once per todo rendered or counted: a dict look-up,
# where Priority(rank).label is five Python calls.
LABELS = dict(Priority.choices)
