"""Training, evaluation and export of the plugin's models; never imports ``qgis``."""
