"""QGIS entry point of the Aerial Segmentation plugin.

Kept tiny on purpose: QGIS imports every plugin's ``__init__`` at start-up, so the plugin
class (and with it Qt widgets and the engine) is imported only when QGIS asks for it.
"""


def classFactory(iface):  # noqa: N802 - name fixed by QGIS
    from .plugin import AerialSegmentationPlugin

    return AerialSegmentationPlugin(iface)
