"""Critical-illness assessment (重疾判断): catalogue rules + a text model for diagnosis names.

Modules: `types` (frozen value types), `catalogue` (the CSV catalogue, code normalisation,
prefix rules), `assessor` (the pure engine), `text_model` / `dataset` / `vocabulary` (the
name classifier and its versioned training set), `service` (entry points and the JSON
contract), `evaluation` (held-out figures → docs/mutual_aid_assessment.md).

Deliberately empty of imports: the rules engine imports `types` from here, and must not pull
in scikit-learn or train a model just by doing so.
"""
