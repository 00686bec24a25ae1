"""The stats answer's shape (documented by TodoStatsSerializer)."""


def stats_body(total, completed, overdue, due_today, by_priority, by_tag):
    """The stats answer, however its counts were made."""
    return {
        "total": total,
        "completed": completed,
        "pending": total - completed,
        "overdue": overdue,
        "due_today": due_today,
        "completion_rate": round(completed / total, 4) if total else 0,
        "by_priority": {
            label: {"total": counts["total"], "completed": counts["completed"]}
            for label, counts in by_priority.items()
        },
        "by_tag": {
            name: {
                "total": by_tag[name]["total"],
                "completed": by_tag[name]["completed"],
            }
            for name in sorted(by_tag)
            if by_tag[name]["total"]
        },
    }
