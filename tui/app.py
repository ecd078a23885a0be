"""SkypaneApp: thin — it loads the config, applies the keymap and theme, and shows MainScreen.

Coordination lives in MainScreen; the app only knows what every screen shares: the
configuration, the clock, the error log and the table of keyed actions that the F1 help
and the command palette are built from.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.widget import Widget

from core.backend import BackendContext
from core.config import Config, load_config
from core.paths import Location
from core.transfer import Journal
from tui.actions import ActionInfo, ActionProvider, gather
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.sign_in_again import SignInAgain
from tui.format import Clock, system_clock
from tui.screens.find_actions import FIND_KEYS
from tui.screens.help import HelpScreen
from tui.screens.launcher import DIALOG_KEYS
from tui.screens.log import ErrorRecord
from tui.screens.main import FILE_KEYS, MainScreen
from tui.stop import AFTER, CEILING, GRACE, SignalStop, exit_code, exit_within
from tui.widgets.file_list import FileList
from tui.widgets.pane import Pane
from tui.widgets.transfer_panel import TransferPanel


class SkypaneApp(App[None]):
    TITLE = "skypane"
    CSS_PATH = "styles/app.tcss"
    COMMANDS = App.COMMANDS | {ActionProvider}
    ALLOW_SELECT = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="help"),
        Binding("f9,ctrl+p", "command_palette", "Menu", id="command-palette", priority=True),
        Binding("f10,q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        *,
        demo: bool = False,
        config: Config | None = None,
        clock: Clock = system_clock,
        left: Location | None = None,
        right: Location | None = None,
        journal: Journal | None = None,
        context: BackendContext | None = None,
        workers: int = 4,
        welcome: bool = False,
        handle_signals: bool = False,
    ) -> None:
        super().__init__()
        self.demo = demo
        #: SIGTERM, SIGHUP (and SIGINT from outside) quit as q does, only faster (``tui.stop``):
        #: set when the app owns the process (not under tests' ``run_test``).
        self.handle_signals = handle_signals
        #: Seconds after the app is gone by which the process ends even if a worker thread
        #: is stuck in a system call (Python would wait for it); None under tests.
        self.exit_deadline: float | None = AFTER if handle_signals else None
        self.stopped_by: int | None = None
        self._signals: SignalStop | None = None
        #: Open the config wizard at start when no remote is configured (the command line's way).
        self.welcome = welcome
        self.config = config if config is not None else load_config()
        self.clock = clock
        self.keymap: dict[str, str] = self.config.keymap
        self.error_log: list[ErrorRecord] = []
        context = context or BackendContext()
        #: What the sign-in dialog says for a remote that has its own story (the demo's).
        self.sign_in_notes: dict[str, str] = {}
        #: The sign-in hook this app installed (None when the context brought its own).
        self.sign_in_again: SignInAgain | None = None
        if context.on_auth_required is None:  # a dead sign-in asks the user instead of failing
            sign_in = SignInAgain(self, self.config, context.secrets)
            sign_in.notes = self.sign_in_notes
            context.on_auth_required = sign_in
            self.sign_in_again = sign_in
        if context.asker is None:  # a backend's questions while it connects: dialogs
            from tui.dialogs.asker import DialogAsker

            context.asker = DialogAsker(self, clock=clock)
        self._main_args = {
            "left": left,
            "right": right,
            "journal": journal if journal is not None else Journal(),
            "context": context,
            "workers": workers,
        }
        theme = self.config.settings.get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme

    def on_mount(self) -> None:
        if self.handle_signals:
            # The last resort leaves time for what runs after the app (the demo's save).
            ceiling = CEILING + (self.exit_deadline or 0.0)
            self._signals = SignalStop(self._stop_on_signal, ceiling=ceiling, again_ends_now=False)
            self._signals.install()
        self.set_keymap(self.keymap)
        self.push_screen(MainScreen(self.config, clock=self.clock, **self._main_args))  # type: ignore[arg-type]
        if self.demo:
            self.sub_title = "demo"
            self.set_timer(1.0, self._demo_tip)
        elif not self.config.remotes:
            self.offer_config_wizard()

    def _stop_on_signal(self, signum: int) -> None:
        """A stop signal: transfers get ``GRACE`` to stop (then are cancelled, resumable),
        the terminal is put back, and the exit status names the signal."""
        self.stopped_by = signum
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.close_timeout = min(screen.close_timeout, GRACE)
        self.exit(return_code=exit_code(signum))

    def on_unmount(self) -> None:
        # The signal handlers stay until the loop closes: a signal during the rest of the
        # shutdown must not kill the process before the terminal is restored.
        if self.exit_deadline is not None:
            # Everything is saved and the terminal is about to be restored; Python would
            # still wait at exit for a worker thread stuck in a system call.
            exit_within(self.exit_deadline, self.return_code or 0)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """On the main screen a notice takes the message line (covering nothing); over a
        dialog it is a toast as usual."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
        screen = self.screen
        if isinstance(screen, MainScreen):
            seconds = timeout if timeout is not None else self.NOTIFICATION_TIMEOUT
            # after a refresh: a notice sent as the screen is pushed comes before its compose
            screen.call_after_refresh(screen.show_note, message, title, severity, seconds)

    def on_cursor_position(self, event: events.CursorPosition) -> None:
        """F3 with a modifier, which xterm and tmux send as ``ESC [1;<m>R``.

        That is also the form of a cursor-position report (row 1, column m), and Textual reads
        it as one; the app never asks for the cursor position, so it is the key.
        """
        bits = event.x  # the column is the modifier parameter, which is 1 + the bits
        if event.y != 0 or not 1 <= bits <= 7:
            return
        mods = [name for bit, name in ((2, "alt"), (4, "ctrl"), (1, "shift")) if bits & bit]
        self.simulate_key("+".join([*mods, "f3"]))

    def _demo_tip(self) -> None:
        """Once the demo's sign-in dialog is gone: a word on what to try."""
        if self.screen.is_modal:
            self.set_timer(0.5, self._demo_tip)
            return
        self.notify(
            "The right pane is a OneDrive emulated on this machine. Try F5 to copy, a drag "
            "with the mouse, Ctrl+L for a share link, Alt+V for versions. F1 lists every "
            "key; q quits.",
            title="skypane demo",
            timeout=12,
        )

    def offer_config_wizard(self) -> None:
        """Nothing is configured yet: the wizard when asked for, else a hint."""
        if self.welcome and isinstance(self.screen, MainScreen):
            self.screen.open_first_start()
            return
        self.notify(
            "No remote configured: the right pane shows your home folder. "
            "Add a OneDrive with Alt+R (Remotes…) or `skypane login NAME`.",
            title="Welcome to skypane",
            timeout=10,
        )

    # -- the action table: help and palette ----------------------------------------------

    @property
    def actions(self) -> list[ActionInfo]:
        return gather(
            [
                ("Files", "screen", FILE_KEYS),
                ("Links, versions, remotes", "screen", DIALOG_KEYS),
                ("Find, compare, recover", "screen", FIND_KEYS),
                ("Pane", "pane", Pane.BINDINGS),
                ("Cursor and selection", "list", FileList.BINDINGS),
                ("Transfer panel", "transfers", TransferPanel.BINDINGS),
                ("Application", "app", self.BINDINGS),
            ]
        )

    def run_keyed_action(self, info: ActionInfo) -> None:
        """Run an action from the palette where its key would have run it."""
        screen = self.screen
        if not isinstance(screen, MainScreen):
            return
        targets: dict[str, Widget | App[None]] = {
            "screen": screen,
            "pane": screen.active,
            "list": screen.active.file_list,
            "transfers": screen.query_one(TransferPanel),
            "app": self,
        }
        target = targets[info.target]
        if info.target == "transfers":
            target.display = True
        self.call_later(target.run_action, info.binding.action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "q" is a letter a dialog may want; quitting from a dialog is Escape, then q.
        return not (action == "quit" and self.screen.is_modal)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.actions, self.keymap))

    async def action_quit(self) -> None:
        screen = self.screen
        running = screen.transfers.active if isinstance(screen, MainScreen) else []
        if running:
            self.push_screen(
                ConfirmDialog(
                    "Quit",
                    f"{len(running)} transfer(s) still running. They stop now and resume "
                    "when you start skypane again. Quit?",
                    yes="Quit",
                ),
                self._quit_if,
            )
            return
        self.exit()

    def _quit_if(self, yes: bool | None) -> None:
        if yes:
            self.exit()
