"""Processing provider and algorithms.

Named ``toolbox`` so it never shadows QGIS' own ``processing`` package.
"""
