"""What a backend needs from a person while a remote of it is set up or signed in again.

A backend type declares its steps (``Setup.setup``, ``SignsIn.sign_in``) and runs them
against an ``Asker``: the UI's side of the conversation. The TUI answers with dialogs, the
command line with prompts on the terminal; the steps never know which. Everything a step
asks for is one of a few shapes: a yes/no question, a secret (a password, a
keyboard-interactive answer), a choice among items (a drive, a site's library), or a device
code shown while the backend polls for the sign-in to be approved.

New secrets (tokens, a password the person chose to keep) go to ``SetupContext.staged``
until the caller saves the remote, so giving up half way leaves the stored ones as they
were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from core.errors import SkypaneError

if TYPE_CHECKING:  # keyring loads when a secret is first needed, not with the UI
    from core.secrets import MemorySecrets, Secrets


def _memory_secrets() -> MemorySecrets:
    from core.secrets import MemorySecrets

    return MemorySecrets()


# -- how a device-code sign-in ends --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignedIn:
    account: str
    home_account_id: str = ""


@dataclass(frozen=True, slots=True)
class Declined:
    message: str = "the sign-in was declined on the verification page"


@dataclass(frozen=True, slots=True)
class Expired:
    message: str = "the code expired before the sign-in was approved"


@dataclass(frozen=True, slots=True)
class Cancelled:
    message: str = "sign-in cancelled"


@dataclass(frozen=True, slots=True)
class Failed:
    message: str
    error: str = ""


SignInOutcome = SignedIn | Declined | Expired | Cancelled | Failed


class DeviceCodeFlow(Protocol):
    """One device code being polled: shown to the person, redeemed by the backend.

    ``poll`` blocks (run it in a thread) until the sign-in ends; ``cancel`` may be called
    from any thread and makes ``poll`` return ``Cancelled`` soon after."""

    user_code: str
    verification_uri: str
    expires_at: datetime

    @property
    def outcome(self) -> SignInOutcome | None: ...

    @property
    def cancelled(self) -> bool: ...

    def poll(self) -> SignInOutcome: ...

    def cancel(self) -> None: ...


class DeviceCodeStarter(Protocol):
    """Asks the sign-in service for a device code (blocking). ``waiter(seconds) -> bool`` is
    the pause between polls, True meaning stop: the UI's "check now" and "cancel"."""

    def start_device_flow(
        self, waiter: Callable[[float], bool] | None = None
    ) -> DeviceCodeFlow: ...


# -- choices ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    """One item offered: ``label`` in bold, ``kind`` after it, ``detail`` (an address) below.
    An item that ``opens`` lists what it holds (a site's libraries) instead of being chosen."""

    label: str
    kind: str = ""
    detail: str = ""
    prefix: str = ""
    opens: bool = False
    value: Any = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class LookupMode:
    """One way of finding items; ``placeholder`` empty means it needs no query typed."""

    key: str
    label: str
    placeholder: str = ""


class ChoiceSource(Protocol):
    """Items to browse and pick from (a drive among one's own, a site's, one by id)."""

    title: str
    #: A line shown above the items (who is signed in), or "".
    note: str
    #: Said under items of which some open (what Enter on them does), or "".
    hint: str
    modes: tuple[LookupMode, ...]

    async def lookup(self, mode: str, query: str) -> list[Choice]: ...

    async def open(self, choice: Choice) -> tuple[str, list[Choice]]:
        """What an item that ``opens`` holds, with a heading for them."""
        ...

    async def default(self) -> Choice | None:
        """The item taken when nobody is there to browse (the command line)."""
        ...


class ListSource:
    """A ``ChoiceSource`` over a fixed list (one mode, nothing to type); ``default`` is the
    item taken where nobody can be asked (None: then it cannot be chosen without asking)."""

    def __init__(
        self, title: str, items: Sequence[Choice], note: str = "", default: Choice | None = None
    ) -> None:
        self.title = title
        self.note = note
        self.hint = ""
        self.items = list(items)
        self._default = default
        self.modes: tuple[LookupMode, ...] = (LookupMode("all", title),)

    async def lookup(self, mode: str, query: str) -> list[Choice]:
        return list(self.items)

    async def open(self, choice: Choice) -> tuple[str, list[Choice]]:
        return self.title, []

    async def default(self) -> Choice | None:
        return self._default


# -- the person's side -----------------------------------------------------------------------------


class SetupCancelled(SkypaneError):
    """The person gave up (Esc, Ctrl-C, no answer): nothing is saved."""


class NotInteractive(SkypaneError):
    """A question came up where nobody can answer it (standard input is not a terminal)."""


@runtime_checkable
class Asker(Protocol):
    """What a backend's steps may ask. Every question may be refused: ``confirm`` then
    answers False, ``secret`` and ``choose`` None, ``device_code`` ``Cancelled``; an asker
    that cannot ask at all raises ``NotInteractive`` saying what was needed."""

    async def confirm(self, title: str, text: str, *, yes: str = "Yes", no: str = "No") -> bool:
        """A yes/no question; True only for an explicit yes."""
        ...

    async def secret(self, title: str, prompt: str, *, echo: bool = False) -> str | None:
        """A line typed by the person: never shown (unless ``echo``), never logged."""
        ...

    async def choose(self, source: ChoiceSource) -> Choice | None:
        """One item of ``source``."""
        ...

    async def device_code(
        self,
        starter: DeviceCodeStarter,
        *,
        remote: str = "",
        reason: str | None = None,
        note: str | None = None,
    ) -> SignInOutcome:
        """Show a device code (its address, its expiry) while the backend polls."""
        ...


# -- steps a backend type declares -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetupStep:
    """One step of a backend's setup, as a button or a line of progress: ``key`` names it
    to ``Setup.setup``; ``label`` is what the person presses ("Sign in…")."""

    key: str
    label: str


@dataclass(slots=True)
class SetupContext:
    """One run of a backend's setup: the remote's name and options (the steps change the
    options in place: the account signed in, the drive chosen), the store holding what is
    already saved, and ``staged`` for new secrets until the remote is saved."""

    remote: str
    options: dict[str, Any]
    asker: Asker
    store: Secrets
    staged: MemorySecrets = field(default_factory=_memory_secrets)
    #: Secret option values typed for this remote (a password), never put in ``options``.
    secret_values: dict[str, str] = field(default_factory=dict)
    #: Answers given ahead (command-line flags such as a drive id or a site to search).
    hints: Mapping[str, str] = field(default_factory=dict)
    #: Keys of the steps done, each with a line saying what it did (for the review).
    done: dict[str, str] = field(default_factory=dict)

    def commit(self, store: Secrets | None = None) -> None:
        """Move staged secrets to ``store`` (default: ``self.store``), once the remote is saved."""
        target = store if store is not None else self.store
        for key in self.staged.names():
            blob = self.staged.load(key)
            if blob is not None:
                target.save(key, blob)

    @property
    def summary(self) -> list[str]:
        return list(self.done.values())


@runtime_checkable
class Setup(Protocol):
    """A backend type with steps to take before a remote of it works: sign in and choose a
    drive, accept a host key and check a password. ``setup`` runs one step; it raises
    ``SetupCancelled`` when the person gives up and a ``SkypaneError`` saying why when the
    step fails, and on success records itself in ``context.done`` (a step may forget later
    ones it invalidates: a new sign-in forgets the drive chosen with the old one)."""

    SETUP_STEPS: tuple[SetupStep, ...]

    async def setup(self, context: SetupContext, step: str) -> None: ...

    def resume_setup(self, context: SetupContext, saved: Mapping[str, Any]) -> None:
        """Mark the steps the saved remote (``saved``: its options as stored) has done and
        that still hold for ``context.options`` (a sign-in holds while the client id,
        tenant and cloud stay the same)."""
        ...


@runtime_checkable
class SignsIn(Protocol):
    """A backend type whose sign-in can die mid-session (a revoked refresh token) and be
    redone without setting the remote up again. The new secrets go straight to ``store``;
    returns the account signed in, or None when the person gave up."""

    async def sign_in(
        self,
        remote: str,
        options: Mapping[str, Any],
        asker: Asker,
        store: Secrets,
        *,
        reason: str | None = None,
        note: str | None = None,
    ) -> str | None: ...

    def sign_out(self, remote: str, options: Mapping[str, Any], store: Secrets) -> list[str]:
        """Forget the remote's sign-in (works offline); the accounts signed out."""
        ...


@runtime_checkable
class Describes(Protocol):
    """A backend type that says who a remote is signed in as and what it shows, for the list
    of remotes: ``(account, place)``, "(not signed in)" as the account when it needs one."""

    def describe(
        self, remote: str, options: Mapping[str, Any], store: Secrets
    ) -> tuple[str, str]: ...


def setup_of(kind: object) -> Setup | None:
    """The backend type's setup steps, or None when it has none."""
    return kind if isinstance(kind, Setup) else None


def sign_in_of(kind: object) -> SignsIn | None:
    """The backend type's sign-in, or None when it has no sign-in to redo."""
    return kind if isinstance(kind, SignsIn) else None


async def run_setup(kind: Setup, context: SetupContext, start: str | None = None) -> None:
    """Run the steps from ``start`` (default: the first) on, skipping those already done
    after it; a step that fails or is cancelled stops the run."""
    keys = [s.key for s in kind.SETUP_STEPS]
    begin = keys.index(start) if start in keys else 0
    for i, key in enumerate(keys):
        if i < begin or (i > begin and key in context.done):
            continue
        await kind.setup(context, key)


def describe_remote(
    kind: object, remote: str, options: Mapping[str, Any], store: Secrets
) -> tuple[str, str]:
    """``(account, place)`` of a remote: its backend's words, else its root folder."""
    if isinstance(kind, Describes):
        return kind.describe(remote, options, store)
    return "", str(options.get("root") or "")


__all__ = [
    "Asker",
    "Cancelled",
    "Choice",
    "ChoiceSource",
    "Declined",
    "Describes",
    "DeviceCodeFlow",
    "DeviceCodeStarter",
    "Expired",
    "Failed",
    "ListSource",
    "LookupMode",
    "NotInteractive",
    "Setup",
    "SetupCancelled",
    "SetupContext",
    "SetupStep",
    "SignInOutcome",
    "SignedIn",
    "SignsIn",
    "describe_remote",
    "run_setup",
    "setup_of",
    "sign_in_of",
]
