"""Cross-document digest: model, build, cluster, polarity, synthesis, renderers."""
