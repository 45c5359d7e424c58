"""clinrag: offline clinical guideline question answering with cited, verified answers.

Importing the package writes three environment variables, and only these: each is read by a library when it
loads or first runs, before clinrag could pass it as an argument. Everything else is configured where it is used
(``clinrag.settings`` reads the environment; nothing else in the project writes it):

- ``HF_HUB_OFFLINE=1``: huggingface_hub reads it once, when it is imported, into the constant that transformers and
  sentence-transformers consult before any download; set later it has no effect. This is the guarantee that no
  hub request is ever attempted (and the hub sends no telemetry when offline).
- ``TRANSFORMERS_VERBOSITY=error``: transformers reads it once, when its logging is set up on import; it keeps
  model-loading notices off the CLI's stderr.
- ``TOKENIZERS_PARALLELISM=false``: the Rust tokenizers library reads it on its first batch encode and offers no
  other switch; off, the reader's torch threads are the only pool, and a later fork never meets its
  "forked after parallelism" guard.

Telemetry elsewhere is off by argument: the Chroma client is created with ``anonymized_telemetry=False``
(ingest/chroma_store.py) and ``clinrag ui`` starts Streamlit with ``--browser.gatherUsageStats false``.
"""

import os

__version__ = "0.1.0"

for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ[_name] = _value
