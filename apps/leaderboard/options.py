"""A leaderboard run's options (kept apart from the statistics: forms and views import it,
and a web process should load numpy and scipy only when a leaderboard is computed)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RankingOptions:
    strength_weighted: bool = True
    position_control: bool = False
    length_control: bool = False
    bootstrap_rounds: int = 100

    def as_dict(self) -> dict:
        return {
            "strength_weighted": self.strength_weighted,
            "position_control": self.position_control,
            "length_control": self.length_control,
            "bootstrap_rounds": self.bootstrap_rounds,
        }
