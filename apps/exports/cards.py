"""The dataset card written next to an export: what was selected, how, and what came out."""

from collections import Counter

from django.utils import timezone

from .options import MARGINS, ExportOptions

COUNTED = ("strength", "safety_label", "track", "batch", "chosen_variant", "rejected_variant")


class CardBuilder:
    """Counts records as they stream past; `as_dict()` is the card."""

    def __init__(self, *, options: ExportOptions) -> None:
        self.options = options
        self.rows = 0
        self.rows_read = 0
        self.counts = {key: Counter() for key in (*COUNTED, "category", "split")}
        # Agreement and gold accuracy of the selection (quality's selection_quality).
        self.quality: dict | None = None

    def add(self, records: list[dict]) -> None:
        self.rows += len(records)
        for key in COUNTED:
            self.counts[key].update(r[key] for r in records)
        self.counts["category"].update(r["category"] for r in records if r["category"])
        if self.options.test_fraction > 0:
            self.counts["split"].update(r["split"] for r in records)

    def add_group(self, values: dict, rows: int) -> None:
        """Count `rows` records that share these values (an aggregate query's group)."""
        self.rows += rows
        self.rows_read += rows
        for key in COUNTED:
            self.counts[key][values[key]] += rows
        if values["category"]:
            self.counts["category"][values["category"]] += rows
        if self.options.test_fraction > 0:
            self.counts["split"][values["split"]] += rows

    def as_dict(self) -> dict:
        options = self.options.as_dict()
        filters = {
            key: options[key]
            for key in (
                "batches",
                "track",
                "min_strength",
                "drop_negligible",
                "safety_labels",
                "variants",
                "created_after",
                "created_before",
                "split",
            )
        }
        counts = {
            key: {str(k): v for k, v in sorted(c.items(), key=lambda kv: str(kv[0]))}
            for key, c in self.counts.items()
        }
        counts["safety_label"] = {
            ("none (helpfulness)" if k == "None" else k): v
            for k, v in counts["safety_label"].items()
        }
        return {
            "rows": self.rows,
            "format": options["format"],
            "file_type": options["file_type"],
            "margin_scheme": options["margin"],
            "margins": MARGINS[options["margin"]],
            "filters": filters,
            "overlap": options["overlap"],
            "split": {
                "test_fraction": options["test_fraction"],
                "seed": options["split_seed"],
                "by": "dialogue; a pool pair by its pool item",
            },
            "annotator_ids": options["annotator_ids"],
            "quality_control": {
                "withdrawn_judgments": "never exported",
                "include_gold": options["include_gold"],
                "drop_disagreements": options["drop_disagreements"],
                "exclude_annotators": options["exclude_annotators"] or None,
                "weight": options["weight"],
            },
            "quality": self.quality,
            "counts": counts,
            "exported_at": timezone.now().isoformat(),
        }


def _margins_text(scheme: str, margins: dict[str, float] | None) -> str:
    if margins is None:
        return f"`{scheme}`: no margin column"
    values = ", ".join(f"{strength} {round(margin, 3):g}" for strength, margin in margins.items())
    return f"`{scheme}` (Llama 2, Table 27): {values}"


def _filter_text(value) -> str:
    """A filter's value in words: "none" when not set, "yes"/"no", lists comma-separated."""
    if value is None or value == []:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "`" + ", ".join(map(str, value)) + "`"
    return f"`{value}`"


def _share(value) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _interval(estimate: dict, show) -> str:
    if estimate.get("low") is None or estimate.get("high") is None:
        return "n/a"
    return f"{show(estimate['low'])} to {show(estimate['high'])}"


def _quality_lines(quality: dict) -> list[str]:
    """The selection's agreement and gold accuracy as a table (quality's selection_quality)."""
    side = quality.get("percent_agreement") or {}
    ac2 = quality.get("gwet_ac2") or {}
    gold = quality.get("gold_accuracy") or {}
    correct = f" ({gold.get('correct', 0)} of {gold.get('n', 0)})" if gold.get("n") else ""
    return [
        f"Judgments selected: {quality.get('comparisons', 'n/a')}; pairs judged two or more "
        f"times: {quality.get('pairs_judged_twice', 'n/a')}.",
        "",
        "| figure | value | 95% interval | n |",
        "|---|---|---|---|",
        f"| percent agreement on the side | {_share(side.get('value'))} | "
        f"{_interval(side, _share)} | {side.get('n', 0)} pairs |",
        f"| Gwet's AC2 (ordinal) | {_number(ac2.get('value'))} | {_interval(ac2, _number)} | "
        f"{ac2.get('n', 0)} pairs |",
        f"| gold accuracy | {_share(gold.get('accuracy'))}{correct} | "
        f"{_interval(gold, _share)} | {gold.get('n', 0)} judgments |",
    ]


def card_readme(card: dict) -> str:
    """The card as a README.md (Hugging Face dataset-card style)."""
    lines = [
        "---",
        "pretty_name: Pairwise preference export",
        "task_categories: [text-classification]",
        "tags: [rlhf, reward-modeling, preference]",
        "---",
        "",
        "# Pairwise preference export",
        "",
        "Human pairwise preferences collected with the Llama 2 protocol (Touvron et al., 2023):",
        "a forced choice between two responses to the same dialogue context, with how much",
        "better the chosen one is.",
        "",
        f"- Rows: **{card['rows']}**, format `{card['format']}`, file type `{card['file_type']}`",
        f"- Exported at: {card['exported_at']}",
        f"- Margin scheme: {_margins_text(card['margin_scheme'], card['margins'])}",
        f"- Overlapping judgments of one pair: `{card['overlap']}`",
        "- Split by dialogue (pool pairs by pool item): "
        f"test fraction {card['split']['test_fraction']}, seed {card['split']['seed']}",
        f"- Annotator ids: {card['annotator_ids']}",
        "",
        "## Filters",
        "",
    ]
    lines += [f"- {key}: {_filter_text(value)}" for key, value in card["filters"].items()]
    control = card.get("quality_control")
    if control:
        lines += [
            "",
            "## Quality control",
            "",
            "- Withdrawn judgments: never exported",
            f"- Gold pairs: {'included' if control['include_gold'] else 'left out'}",
            f"- Pairs whose judgments disagree on the side: "
            f"{'dropped' if control['drop_disagreements'] else 'kept'}",
            f"- Annotators left out: {control['exclude_annotators'] or 'none'}",
            f"- Per-row reliability `weight` column: {'yes' if control['weight'] else 'no'}",
        ]
    if card.get("quality"):
        lines += [
            "",
            "## Agreement and gold accuracy of the selection",
            "",
            "Agreement over the judgments the filters select, before overlap combines them, on",
            "the pairs judged two or more times: percent agreement on the side and Gwet's AC2",
            "with ordinal weights on the signed eight-point scale, with 95% intervals. Gold",
            "accuracy: the selected annotators' judgments of the batches' gold pairs.",
            "",
        ]
        lines += _quality_lines(card["quality"])
    for key, counts in card["counts"].items():
        if not counts:
            continue
        lines += ["", f"## Rows per {key.replace('_', ' ')}", "", "| value | rows |", "|---|---|"]
        lines += [f"| {value} | {n} |" for value, n in counts.items()]
    return "\n".join(lines) + "\n"
