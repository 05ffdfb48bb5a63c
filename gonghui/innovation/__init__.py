"""职工创新 (worker innovation): outcomes, evaluation and roadshows, studios (spec/innovation.md).

Only the pure engines exist so far (`gonghui.innovation.engine`); the app is not installed.
"""
