"""The record stores (floor 1, room "stores"): the hash-chained audit log of answers and people's actions
(``stores.audit``), feedback on answers (``stores.feedback``) and the app's accounts and roles (``stores.users``),
each file written under ``stores.file_lock``. They import only the core (``clinrag``); the pipelines never import
them, the composition root and the shells do."""
