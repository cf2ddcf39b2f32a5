"""HTML libraries used by the HTML stages (``extract``, ``hidden_text``): parsing, CSS and
visibility rules, extraction back-ends, time limits. Nothing here is a registered stage."""
