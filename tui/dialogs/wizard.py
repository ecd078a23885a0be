"""ConfigWizard: add or edit a remote, in steps generated from its backend's declared options.

Steps: the remote (name, backend type) → its settings (``OptionForm`` over the backend's
``OPTIONS``, each checked by the option's own check; advanced ones behind a switch) → for a
backend that declares setup steps (``core.setup.Setup``), those steps (``SetupPanel``:
OneDrive signs in and chooses a drive, SFTP connects and asks about a new host key) → a
review, then Save writes the config (and the secrets the steps made). ``first_start`` opens
it when nothing is configured yet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    Collapsible,
    ContentSwitcher,
    Input,
    Label,
    Select,
    Static,
)

from core.backend import Option
from core.config import Config, RemoteConfig, validate_remote_name
from core.errors import ConfigError, SkypaneError
from core.registry import backend_class, backend_names
from core.secrets import Secrets, SecretStore, save_secret_options
from core.setup import Setup, setup_of
from tui.dialogs.common import frame_css
from tui.format import Clock, system_clock
from tui.widgets.option_form import Check, OptionForm
from tui.widgets.setup_panel import SetupPanel

DEFAULT_TYPE = "onedrive"
STEP_TITLES = {"remote": "Remote", "settings": "Settings", "account": "Account", "review": "Save"}


def declared_options(kind: str) -> tuple[Option, ...]:
    """The options a backend type declares (empty when it cannot be loaded)."""
    try:
        return tuple(backend_class(kind).OPTIONS)
    except (SkypaneError, ImportError):
        return ()


def setup_steps(kind: str) -> Setup | None:
    """The setup steps a backend type declares (None: it has none, or cannot be loaded)."""
    try:
        return setup_of(backend_class(kind))
    except (SkypaneError, ImportError):
        return None


def has_setup(kind: str) -> bool:
    """Whether the wizard has an account step for this type (declared setup steps)."""
    return setup_steps(kind) is not None


class ConfigWizard(ModalScreen[RemoteConfig | None]):
    """Returns the remote as saved, or ``None`` when cancelled (nothing is written then)."""

    DEFAULT_CSS = (
        frame_css("ConfigWizard", "100")
        + """
    ConfigWizard #wizard-steps { margin-bottom: 1; color: $text-muted; }
    ConfigWizard ContentSwitcher { height: auto; }
    ConfigWizard ContentSwitcher > Vertical, ConfigWizard #settings-form { height: auto; }
    ConfigWizard #step-settings { height: auto; max-height: 22; }
    ConfigWizard #step-remote Input, ConfigWizard #step-remote Select { width: 60; }
    ConfigWizard #guide { height: auto; }
    ConfigWizard #guide Static { color: $text-muted; }
    ConfigWizard #advanced { border: none; padding: 0; margin-bottom: 1; }
    ConfigWizard #review { height: auto; }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="wizard-cancel"),
        Binding("ctrl+n", "next", "Next step", id="wizard-next"),
        Binding("ctrl+b", "back", "Previous step", id="wizard-back"),
    ]

    def __init__(
        self,
        config: Config,
        *,
        existing: RemoteConfig | None = None,
        types: Sequence[str] | None = None,
        store: Secrets | None = None,
        welcome: bool = False,
        clock: Clock = system_clock,
        login_close_after: float = 1.5,
    ) -> None:
        super().__init__()
        self.config = config
        self.existing = existing
        self.types = list(types) if types is not None else backend_names()
        self.store: Secrets = store if store is not None else SecretStore(log_warning=False)
        self.welcome = welcome
        self.clock = clock
        self.login_close_after = login_close_after
        default = (
            DEFAULT_TYPE if DEFAULT_TYPE in self.types else (self.types[0] if self.types else "")
        )
        self.kind = existing.type if existing else default
        self.step = "remote"
        self.values: dict[str, Any] = {}
        self._form_kind = ""

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(classes="sky-box") as box:
            box.border_title = (
                f"Edit remote {self.existing.name}" if self.existing else "Add a remote"
            )
            box.border_subtitle = "Ctrl+N next · Ctrl+B back · Esc cancel"
            yield Label("", id="wizard-steps")
            with ContentSwitcher(initial="step-remote"):
                with Vertical(id="step-remote"):
                    if self.welcome:
                        yield Label(
                            "Welcome to skypane. No remote is configured yet: add one to see "
                            "your OneDrive or SharePoint files beside your local ones.",
                            classes="sky-ok",
                        )
                    yield Label("Name — you will type it before a colon, as in work:/Documents")
                    yield Input(
                        self.existing.name if self.existing else "",
                        placeholder="e.g. onedrive, work",
                        id="name",
                        disabled=self.existing is not None,
                    )
                    yield Label("Type", classes="sky-title")
                    yield Select(
                        [(t, t) for t in self.types],
                        value=self.kind if self.kind in self.types else Select.NULL,
                        allow_blank=False,
                        id="type",
                        disabled=self.existing is not None,
                    )
                with VerticalScroll(id="step-settings"):
                    yield Vertical(id="settings-form")
                    with Collapsible(title="How do I get it?", id="guide"):
                        yield Static("", id="guide-text")
                    yield Checkbox("Show advanced options", id="advanced")
                yield Vertical(id="step-account")
                yield Vertical(Static("", id="review"), id="step-review")
            yield Label("", id="wizard-error", classes="sky-error")
            with Horizontal(classes="sky-buttons"):
                yield Button("Back", id="back")
                yield Button("Next", id="next", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._go("remote")
        # Importing a backend can take a moment: do it now, not when the user presses Next.
        self.run_worker(
            partial(declared_options, self.kind), thread=True, group="preload", exit_on_error=False
        )

    @property
    def steps(self) -> list[str]:
        middle = ["account"] if has_setup(self.kind) else []
        return ["remote", "settings", *middle, "review"]

    def _go(self, step: str) -> None:
        self.step = step
        self.query_one(ContentSwitcher).current = f"step-{step}"
        marks = Text()
        for i, name in enumerate(self.steps):
            if i:
                marks.append("  ›  ")
            current = name == step
            marks.append(
                f"{'●' if current else '○'} {STEP_TITLES[name]}", "bold" if current else ""
            )
        self.query_one("#wizard-steps", Label).update(marks)
        self.query_one("#back", Button).disabled = step == "remote"
        self.query_one("#next", Button).label = "Save" if step == "review" else "Next"
        self._error("")
        self.call_after_refresh(self._focus_step, step)

    def _focus_step(self, step: str) -> None:
        """Put the cursor where the step begins, so typing goes straight into it."""
        if step == "settings":
            forms = self.query(OptionForm)
            if forms:  # a form mounted just now focuses itself once composed
                forms.first().focus_first()
            return
        if step == "account" and has_setup(self.kind):
            if not self._panel().focus_action():
                self.query_one("#next", Button).focus()
            return
        panel = self.query_one(f"#step-{step}")
        fields = [w for w in panel.query("Input, Select, Button") if w.focusable]
        if step == "review" or not fields:
            self.query_one("#next", Button).focus()
        else:
            fields[0].focus()

    def _error(self, text: str) -> None:
        self.query_one("#wizard-error", Label).update(text)

    # -- step: settings ----------------------------------------------------------------------------

    def _build_form(self) -> None:
        """(Re)build the settings form for the chosen type."""
        if self._form_kind == self.kind:
            return
        self._form_kind = self.kind
        holder = self.query_one("#settings-form", Vertical)
        holder.remove_children()
        options = tuple(o for o in declared_options(self.kind) if not o.filled_by_setup)
        checks: dict[str, Check] = {o.name: o.check for o in options if o.check is not None}
        values = dict(self.existing.options) if self.existing else {}
        holder.mount(OptionForm(options, values, checks=checks, autofocus=True, id="options"))
        guided = [o for o in options if o.guide]
        guide = self.query_one("#guide", Collapsible)
        guide.display = bool(guided)
        if guided:
            words = guided[0].help[0].lower() + guided[0].help[1:]
            guide.title = f"How do I get the {words.removeprefix('the ')}?"
            self.query_one("#guide-text", Static).update("\n".join(o.guide for o in guided))
            guide.collapsed = True
        advanced = self.query_one("#advanced", Checkbox)
        advanced.display = any(o.advanced for o in options)
        advanced.value = False

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "advanced":
            event.stop()
            self.query_one(OptionForm).show_advanced(event.value)

    # -- step: account (the backend's setup steps) ---------------------------------------------

    def _panel(self) -> SetupPanel:
        holder = self.query_one("#step-account", Vertical)
        found = holder.query(SetupPanel)
        if found and found.first().kind is setup_steps(self.kind):
            return found.first()
        holder.remove_children()
        kind = setup_steps(self.kind)
        assert kind is not None
        existing = self.existing if self.existing and self.existing.type == self.kind else None
        widget = SetupPanel(
            kind,
            declared_options(self.kind),
            self.store,
            existing=existing,
            login_close_after=self.login_close_after,
            clock=self.clock,
            id="account",
        )
        holder.mount(widget)
        return widget

    def on_setup_panel_changed(self, event: SetupPanel.Changed) -> None:
        if self._panel().complete and self.step == "account":
            self.action_next()

    # -- moving between steps ----------------------------------------------------------------------------

    def remote_name(self) -> str:
        return self.query_one("#name", Input).value.strip()

    def _leave(self, step: str) -> bool:
        """Check the step being left; False (with the reason shown) when it is not done."""
        try:
            if step == "remote":
                name = self.remote_name()
                validate_remote_name(name)
                if self.existing is None and name in self.config.remotes:
                    raise ConfigError(f"a remote named {name!r} already exists")
                kind = self.query_one("#type", Select).value
                if not isinstance(kind, str):
                    raise ConfigError("choose a type")
                self.kind = kind
                self._build_form()
            elif step == "settings":
                self.values = self.query_one(OptionForm).values()
            elif step == "account" and not self._panel().complete:
                steps = setup_steps(self.kind)
                labels = [s.label.rstrip("…").lower() for s in steps.SETUP_STEPS] if steps else []
                raise ConfigError(f"{' and '.join(labels)} first")
        except SkypaneError as exc:
            self._error(str(exc))
            guided = [o for o in declared_options(self.kind) if o.guide]
            if step == "settings" and any(o.name.replace("_", " ") in str(exc) for o in guided):
                guide = self.query_one("#guide", Collapsible)
                guide.collapsed = False
                self.call_after_refresh(guide.scroll_visible)
            return False
        return True

    def _enter(self, step: str) -> None:
        if step == "account":
            self._panel().configure(self.remote_name(), self.options(), self.secret_values())
        elif step == "review":
            self.query_one("#review", Static).update(self._review())

    def action_next(self) -> None:
        if not self._leave(self.step):
            return
        if self.step == "review":
            self._save()
            return
        following = self.steps[self.steps.index(self.step) + 1]
        self._enter(following)
        self._go(following)

    def action_back(self) -> None:
        steps = self.steps
        if self.step in steps and steps.index(self.step) > 0:
            self._go(steps[steps.index(self.step) - 1])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id in ("next", "back", "cancel"):
            event.stop()
            getattr(self, f"action_{event.button.id}")()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    def action_cancel(self) -> None:
        self.dismiss(None)

    # -- saving ------------------------------------------------------------------------------------------

    def options(self) -> dict[str, Any]:
        """What goes into the config: set values that differ from the defaults."""
        declared = {o.name: o for o in declared_options(self.kind)}
        out = dict(self.existing.options) if self.existing else {}
        for name, value in self.values.items():
            option = declared.get(name)
            if option is not None and option.secret:
                continue  # kept in the secret store by _save, never in the config
            if value is None or (
                option is not None and value == option.default and not option.required
            ):
                out.pop(name, None)
            else:
                out[name] = value
        if has_setup(self.kind) and self.query("#account"):
            self._panel().fill(out)
        return {k: v for k, v in out.items() if v is not None}

    def _review(self) -> str:
        name, options = self.remote_name(), self.options()
        lines = [f"Remote   {name}:  ({self.kind})"]
        if has_setup(self.kind):
            lines.extend(self._panel().summary)
        filled = {o.name for o in declared_options(self.kind) if o.filled_by_setup}
        for key, value in options.items():
            if key not in filled:
                lines.append(f"  {key} = {value}")
        lines.append(f"\nSave writes {self.config.path}")
        warning = getattr(self.store, "warning", None)
        if has_setup(self.kind) and warning:
            lines.append(f"Note: {warning}")
        return "\n".join(lines)

    def _save(self) -> None:
        remote = RemoteConfig(self.remote_name(), self.kind, self.options())
        try:
            self.config.set_remote(remote)
            self.config.save()
        except (SkypaneError, OSError) as exc:
            self._error(f"Cannot save: {exc}")
            return
        if has_setup(self.kind):
            self._panel().commit()
        secret = self.secret_values()
        if secret:
            save_secret_options(self.store, remote.name, secret)
        self.dismiss(remote)

    def secret_values(self) -> dict[str, str]:
        """Secret options typed in the form (an SFTP password); empty ones keep what is stored."""
        declared = {o.name: o for o in declared_options(self.kind)}
        return {
            name: str(value)
            for name, value in self.values.items()
            if name in declared and declared[name].secret and value
        }


def first_start(
    app: App[Any],
    config: Config,
    on_saved: Callable[[RemoteConfig], None] | None = None,
    **wizard_options: Any,
) -> None:
    """Open the wizard with a welcome; ``on_saved`` gets the new remote."""

    def done(remote: RemoteConfig | None) -> None:
        if remote is None:
            app.notify(
                "No remote configured: add one later from the menu (F9, “Remotes”).",
                title="Welcome to skypane",
                timeout=8,
            )
        elif on_saved is not None:
            on_saved(remote)

    app.push_screen(ConfigWizard(config, welcome=True, **wizard_options), done)
