"""Drafting with Gemini: proposals for film.yaml (lyrics, the song's timing, concept, storyboard, prompt polish).

The creator stays the author: every draft is a diff of film.yaml, written only when asked. One module per job:

- client: the request to Gemini (google-genai, imported only there), retries, audio inline or uploaded, usage;
- schema: the answer's schema derived from the film schema (JSON Schema to check, Gemini's subset to send);
- facts, instructions/: what the model is told (our own text) and the film's facts it builds on;
- answer: the answer kept in .filmc/drafts/, parsed and checked;
- lyrics, song, storyboard, prompt, concept: one per draft, each a request and a merge into a FilmEdit;
- run: the pipeline they share (`run.draft`: ledger, validation of the result, the diff); price: the estimate.

Nothing is imported here, so the CLI can name the default model without loading the rest.
"""
