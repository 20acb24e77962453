"""The emulator's whole state in one file, and back: what makes a warm start of the local cloud
(``localcloud.deploy.warm``) possible without Terraform.

moto keeps every resource as plain Python objects in its backends (one per service, account and
region), so the state is those backends, pickled together in one go (an object that two services
share, such as a function's role, stays one object) and put back in place of the fresh ones
before the emulator answers its first request. A few things moto holds do not pickle as they
are; each is reduced to what rebuilds it: a key pair to its DER bytes, a weak-value dictionary to
its items (the values are pickled where they are held), a lock to a new lock, a
``defaultdict(lambda: {})`` to a ``defaultdict(dict)``.

The file is only ever read from the project's own ``.localcloud/`` folder, where this emulator
wrote it (a pickle runs code as it loads: never point this at a file from elsewhere). It names
the moto version that wrote it; another version's file is refused.
"""

from __future__ import annotations

import importlib
import pickle
import threading
import weakref
from collections import defaultdict
from pathlib import Path

import moto
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from moto.core.base_backend import BackendDict

FORMAT = 1
"""The layout of the file; a file of another layout is refused."""
PRIVATE_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)
PUBLIC_KEYS = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey)
LOCKS = (type(threading.Lock()), type(threading.RLock()))


class StateError(Exception):
    """The state file cannot be written or put back (the message says why)."""


def _private_key(der: bytes):
    return serialization.load_der_private_key(der, password=None)


def _public_key(der: bytes):
    return serialization.load_der_public_key(der)


def _empty_factory(factory) -> bool:
    """Whether ``factory`` is a lambda that makes an empty dict, list or set (moto writes
    ``defaultdict(lambda: {})``; a lambda does not pickle, the type it returns does)."""
    if getattr(factory, "__name__", "") != "<lambda>":
        return False
    made = factory()
    return type(made) in (dict, list, set) and not made


def _new_lock(reentrant: bool):
    return threading.RLock() if reentrant else threading.Lock()


class _Pickler(pickle.Pickler):
    """pickle's, with a reduction for each kind of object moto holds that does not pickle."""

    def reducer_override(self, obj):  # pylint: disable=too-many-return-statements
        """How ``obj`` pickles when pickle's own way does not do (NotImplemented: it does)."""
        if isinstance(obj, PRIVATE_KEYS):
            der = obj.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return _private_key, (der,)
        if isinstance(obj, PUBLIC_KEYS):
            der = obj.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return _public_key, (der,)
        if isinstance(obj, weakref.WeakValueDictionary):
            return weakref.WeakValueDictionary, (dict(obj.items()),)
        if isinstance(obj, LOCKS):
            return _new_lock, (isinstance(obj, LOCKS[1]),)
        if isinstance(obj, defaultdict) and _empty_factory(obj.default_factory):
            return defaultdict, (type(obj.default_factory()), dict(obj))
        return NotImplemented


def _where(backends: BackendDict) -> tuple[str, str]:
    """(module, attribute) under which moto keeps ``backends``."""
    module = importlib.import_module(backends.backend.__module__)
    for name, value in vars(module).items():
        if value is backends:
            return module.__name__, name
    raise StateError(f"moto's {backends.service_name} backends are not where they are expected")


def _in_use():
    """(module, attribute, account, region, backend) for every backend moto has built."""
    for backends in list(BackendDict._instances):  # pylint: disable=protected-access
        module, attribute = _where(backends)
        for account, regions in list(backends.items()):
            for region, backend in list(dict.items(regions)):
                yield module, attribute, account, region, backend


def save(path: Path) -> int:
    """Write every backend moto has built to ``path`` (at once: a reader never sees half of
    it); the file's size. Call it with no request running (the server's one-request lock)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    state = {"format": FORMAT, "moto": moto.__version__, "backends": list(_in_use())}
    try:
        with open(partial, "wb") as handle:
            _Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        partial.unlink(missing_ok=True)
        raise StateError(f"moto's state does not pickle: {exc}") from None
    partial.replace(path)
    return path.stat().st_size


def restore(path: Path) -> int:
    """Put the backends saved in ``path`` in place of moto's; how many. Call it before the server
    answers anything."""
    try:
        with open(path, "rb") as handle:
            state = pickle.load(handle)  # our own file, see the module docstring
    except Exception as exc:  # pylint: disable=broad-exception-caught  # whatever it unpickled
        raise StateError(f"{path} cannot be read: {type(exc).__name__}: {exc}") from exc
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise StateError(f"{path} is not a state file of this version of the local cloud")
    if state.get("moto") != moto.__version__:
        raise StateError(f"{path} was written by moto {state.get('moto')}, not {moto.__version__}")
    for module, attribute, account, region, backend in state["backends"]:
        backends = getattr(importlib.import_module(module), attribute)
        dict.__setitem__(backends[account], region, backend)
    return len(state["backends"])
