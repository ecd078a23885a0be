"""config.toml: round trip, comments kept, atomic and owner-only, malformed files reported and kept."""

from __future__ import annotations

import os
import stat

import pytest

from core.config import Config, RemoteConfig, default_path, load_config
from core.errors import ConfigError, UnknownRemote


def test_missing_file_is_an_empty_config() -> None:
    config = load_config()
    assert config.remotes == {}
    assert config.path == default_path()


def test_remote_round_trip() -> None:
    config = load_config()
    config.set_remote(RemoteConfig("work", "onedrive", {"client_id": "abc", "chunk_size": 1024}))
    config.save()
    again = load_config()
    assert again.remote("work").type == "onedrive"
    assert again.remote("work").options == {"client_id": "abc", "chunk_size": 1024}


def test_saved_file_is_owner_only() -> None:
    config = load_config()
    config.set_remote(RemoteConfig("r", "onedrive", {}))
    config.save()
    mode = stat.S_IMODE(os.stat(default_path()).st_mode)
    assert mode == 0o600


def test_user_comments_survive_an_edit() -> None:
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('# my notes\n[remotes.home]\ntype = "onedrive"  # personal\n')
    config = load_config()
    config.set_remote(RemoteConfig("work", "onedrive", {"tenant": "contoso"}))
    config.save()
    text = path.read_text()
    assert "# my notes" in text and "# personal" in text and "[remotes.work]" in text


def test_malformed_file_names_file_and_line_and_is_kept() -> None:
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    original = '[remotes.home]\ntype = "onedrive"\nchunk_size = = 3\n'
    path.write_text(original)
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert str(path) in message and "line 3" in message
    assert path.read_text() == original


def test_wrong_type_names_the_key_and_line() -> None:
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[settings]\nx = 1\n\n[remotes.home]\nclient_id = "x"\n')
    with pytest.raises(ConfigError) as info:
        load_config()
    assert "remotes.home.type" in str(info.value)
    assert "line 4" in str(info.value)


def test_secrets_are_refused_in_the_file() -> None:
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[remotes.home]\ntype = "onedrive"\nrefresh_token = "abc"\n')
    with pytest.raises(ConfigError, match="secrets do not belong"):
        load_config()


def test_secrets_are_never_written() -> None:
    config = load_config()
    with pytest.raises(ConfigError, match="refusing to write secret"):
        config.set_remote(RemoteConfig("r", "onedrive", {"access_token": "x"}))


def test_unknown_remote_lists_known_ones() -> None:
    config = load_config()
    config.set_remote(RemoteConfig("alpha", "onedrive", {}))
    with pytest.raises(UnknownRemote, match="alpha"):
        config.remote("beta")


def test_rename_and_delete_remote() -> None:
    config = load_config()
    config.set_remote(RemoteConfig("a", "onedrive", {"tenant": "t"}))
    config.rename_remote("a", "b")
    config.save()
    assert list(load_config().remotes) == ["b"]
    assert load_config().remote("b").options == {"tenant": "t"}
    config.delete_remote("b")
    config.save()
    assert load_config().remotes == {}


@pytest.mark.parametrize("name", ["", "local", "a/b", "a:b", "-x", " x", "x" * 65])
def test_invalid_remote_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigError):
        load_config().set_remote(RemoteConfig(name, "onedrive", {}))


def test_keymap_from_keys_table() -> None:
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[keys]\ncopy = "f5,c"\n')
    assert load_config().keymap == {"copy": "f5,c"}


def test_failed_write_leaves_old_file(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config()
    config.set_remote(RemoteConfig("keep", "onedrive", {}))
    config.save()
    before = default_path().read_text()

    def boom(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    config.set_remote(RemoteConfig("new", "onedrive", {}))
    with pytest.raises(OSError):
        config.save()
    assert default_path().read_text() == before
    assert [p.name for p in default_path().parent.iterdir()] == ["config.toml"]


def test_config_dir_env_override(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYPANE_CONFIG_DIR", str(tmp_path / "elsewhere"))
    assert default_path() == tmp_path / "elsewhere" / "config.toml"
    assert isinstance(load_config(), Config)
