"""kapre_like: Keras 3 audio layers, a drop-in for Kapre 0.4.1.

Replace ``kapre`` by ``kapre_like`` in your imports; names, arguments, defaults,
shapes and dtypes are Kapre's. The DSP lives in :mod:`kapre_like.functional`.
"""

from . import _public
from ._version import KAPRE_API_VERSION, __version__

VERSION = __version__

__all__ = ["__version__", "VERSION", "KAPRE_API_VERSION", *_public.PUBLIC]


def __getattr__(name):
    # PEP 562: names not imported yet (kapre_like.beam's always; every name in the command-line tool's light import)
    value = _public.attribute(name)
    if _public.PUBLIC.get(name, name) not in _public.ON_FIRST_USE:
        globals()[name] = value
    return value


# Every process imports every layer now (registered with Keras for load_model), except the command-line tool's
# while it reads its arguments: it answers --help and argument errors without TensorFlow, then calls import_all()
# before a job runs. light_import_requested() says how that process is recognised.
if not _public.light_import_requested():
    _public.import_all()
