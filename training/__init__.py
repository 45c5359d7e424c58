"""Training the project's own clinical reader (a MiniLM cross-encoder): data, question generation, training, export.

Nothing here runs when the app answers; ``clinrag train-reader`` is the entry point. Reads ``../shared/data``
(see ``training/sources.py`` for every file, its licence and what it is used for).
"""
