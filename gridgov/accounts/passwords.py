from typing import Any


class BreachedPasswordValidator:
    def validate(self, password: str, user: Any = None) -> None:
        return None

    def get_help_text(self) -> str:
        return ""
