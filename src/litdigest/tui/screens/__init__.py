"""The screens of the review app, one module each; none imports the app (they post
messages from ``litdigest.tui.messages`` instead)."""

from litdigest.tui.screens.digest import DigestScreen, digest_content
from litdigest.tui.screens.edit import EditScreen
from litdigest.tui.screens.eval_report import EvalReportScreen
from litdigest.tui.screens.flag import FlagResult, FlagScreen
from litdigest.tui.screens.help import HelpScreen, binding_rows, key_label
from litdigest.tui.screens.review import ReviewScreen
from litdigest.tui.screens.save_path import SavePathScreen

__all__ = [
    "DigestScreen",
    "EditScreen",
    "EvalReportScreen",
    "FlagResult",
    "FlagScreen",
    "HelpScreen",
    "ReviewScreen",
    "SavePathScreen",
    "binding_rows",
    "digest_content",
    "key_label",
]
