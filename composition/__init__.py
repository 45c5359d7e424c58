"""The composition root (floor 2): ``composition.app.App`` builds the parts from settings (or takes them as
arguments) and wires the pipelines and the stores; ``composition.service.AnswerService`` answers a question and
audits it, the one path the CLI and the UI both call. The shells (floor 3) import it; nothing below does."""
