"""Model endpoint settings: presets, a config file and EXTRACTOR_* environment variables.

Precedence, highest first: command-line options, EXTRACTOR_* variables, the config file
(~/.config/extractor/config.toml or $EXTRACTOR_CONFIG), the preset's defaults. The API key is
read only from an environment variable (the preset's, or EXTRACTOR_API_KEY); it is never taken
on the command line and never logged.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path


class ConfigError(Exception):
    """Settings that cannot work; the message says what to change."""


@dataclass(frozen=True)
class Preset:
    base_url: str
    model: str
    key_env: str | None  # environment variable holding the API key; None: no key needed
    mode: str  # instructor mode that works with this server: json_schema | json | md_json | tools
    concurrency: int = 4
    timeout_s: float = 120.0


PRESETS: dict[str, Preset] = {
    "deepseek": Preset("https://api.deepseek.com/v1", "deepseek-chat", "DEEPSEEK_API_KEY", "json"),
    "qwen": Preset("https://dashscope.aliyuncs.com/compatible-mode/v1", "qwen-plus", "DASHSCOPE_API_KEY", "json"),
    "glm": Preset("https://open.bigmodel.cn/api/paas/v4", "glm-4-flash", "ZHIPUAI_API_KEY", "tools"),
    "moonshot": Preset("https://api.moonshot.cn/v1", "moonshot-v1-8k", "MOONSHOT_API_KEY", "json"),
    "openai": Preset("https://api.openai.com/v1", "gpt-4o-mini", "OPENAI_API_KEY", "json_schema"),
    # local servers on a CPU: one request at a time (parallel slots only share the cores), and
    # a long timeout, since a chunk's answer can take minutes at ~10 tokens/s
    "ollama": Preset("http://127.0.0.1:11434/v1", "qwen2.5:7b-instruct", None, "json", 1, 900.0),
    "vllm": Preset("http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-7B-Instruct", None, "json_schema", 8, 300.0),
    # llama.cpp's native llama-server (scripts/local-llm.sh): JSON_SCHEMA works, TOOLS does not
    "llamacpp": Preset("http://127.0.0.1:8080/v1", "qwen2.5-coder-1.5b", None, "json_schema", 1, 900.0),
    # llama-cpp-python's server: JSON_SCHEMA fails with HTTP 500, JSON works
    "llama-cpp-python": Preset("http://127.0.0.1:8000/v1", "qwen2.5-coder-1.5b", None, "json", 1, 900.0),
}

MODES = ("json_schema", "json", "md_json", "tools")


@dataclass(frozen=True)
class Settings:
    base_url: str
    model: str
    mode: str = "json_schema"
    api_key: str | None = field(default=None, repr=False)  # never printed
    preset: str | None = None
    concurrency: int = 4
    timeout_s: float = 120.0
    max_attempts: int = 4  # per call, transport retries included
    max_tokens_per_report: int = 60000  # prompt + completion, all calls of one report
    cache_path: Path = field(default_factory=lambda: default_home() / "cache.sqlite")
    temperature: float = 0.0


def default_home() -> Path:
    return Path(os.environ.get("EXTRACTOR_HOME", Path.home() / ".cache" / "extractor"))


def _config_file() -> dict:
    path = Path(os.environ.get("EXTRACTOR_CONFIG", Path.home() / ".config" / "extractor" / "config.toml"))
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read config file {path}: {e}") from None
    if "api_key" in data:
        raise ConfigError(f"{path}: api_key does not belong in a config file; set EXTRACTOR_API_KEY")
    return data


def resolve_settings(
    preset: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    mode: str | None = None,
    concurrency: int | None = None,
) -> Settings | None:
    """Settings from options, environment and config file; None when no model is configured."""
    env = os.environ
    cfg = _config_file()
    preset = preset or env.get("EXTRACTOR_PRESET") or cfg.get("preset")
    p = None
    if preset:
        if preset not in PRESETS:
            raise ConfigError(f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
        p = PRESETS[preset]
    base_url = base_url or env.get("EXTRACTOR_BASE_URL") or cfg.get("base_url") or (p.base_url if p else None)
    model = model or env.get("EXTRACTOR_MODEL") or cfg.get("model") or (p.model if p else None)
    if not base_url and not model:
        return None
    if not base_url or not model:
        raise ConfigError("a model needs both a base URL and a model name (--base-url and --model, or a --preset)")
    mode = mode or env.get("EXTRACTOR_MODE") or cfg.get("mode") or (p.mode if p else "json")
    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
    key = env.get("EXTRACTOR_API_KEY") or (env.get(p.key_env) if p and p.key_env else None)
    if p and p.key_env and not key:
        raise ConfigError(f"preset {preset} needs an API key in ${p.key_env} (or $EXTRACTOR_API_KEY)")
    s = Settings(base_url=base_url.rstrip("/"), model=model, mode=mode, api_key=key, preset=preset)
    if p:
        s = replace(s, concurrency=p.concurrency, timeout_s=p.timeout_s)
    conc = concurrency or int(env.get("EXTRACTOR_CONCURRENCY", 0) or cfg.get("concurrency", 0) or 0)
    if conc:
        s = replace(s, concurrency=max(1, conc))
    if env.get("EXTRACTOR_CACHE"):
        s = replace(s, cache_path=Path(env["EXTRACTOR_CACHE"]))
    if env.get("EXTRACTOR_TIMEOUT"):
        s = replace(s, timeout_s=float(env["EXTRACTOR_TIMEOUT"]))
    return s
