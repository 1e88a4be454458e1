"""make_handout: reviewed patient-education topics in YAML to branded, accessible PDF leaflets.

Pipeline stages, one module each: ``model`` (the format), ``loader`` (reading and
validation), ``html_render`` (Jinja2 templates), ``pdf`` (WeasyPrint), ``publish`` (atomic
output), tied together in ``pipeline`` and driven by ``cli``.
"""

__version__ = "0.1.0"
