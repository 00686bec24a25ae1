from django.db import models


class Priority(models.IntegerChoices):
    # Stored as a rank, so ordering by priority is low < medium < high.
    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"
