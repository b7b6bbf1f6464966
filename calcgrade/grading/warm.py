"""Imported by the process `calcgrade autograde`'s grading workers are forked from
(`grade_in_pool`'s fork-server preload): the imports each worker would otherwise do on its first
notebook (`execute.warm_imports`) are done once, before the workers are forked."""

from calcgrade.grading.execute import warm_imports

warm_imports()
