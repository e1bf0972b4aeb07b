"""The service's bearer token: made on first start, kept in the config folder, readable by the user only."""

import os
import secrets
from pathlib import Path

TOKEN_FILE = "api-token"


def token_path(config_dir: Path) -> Path:
    return config_dir / TOKEN_FILE


def load_or_create(config_dir: Path) -> str:
    """The token in config_dir/api-token (mode 0600), created the first time (two starters race safely:
    O_EXCL lets one write it and the other read it)."""
    path = token_path(config_dir)
    config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)  # an older or copied file: keep it private all the same
        token = path.read_text(encoding="ascii").strip()
        if len(token) >= 32:
            return token
        path.unlink()  # empty or truncated (a crash mid-write): make a new one
        return load_or_create(config_dir)
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(token + "\n")
        f.flush()
        os.fsync(f.fileno())
    return token
