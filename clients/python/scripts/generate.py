"""Regenerates src/wagate/v1 from the contract (proto/wagate/v1).

Runs protoc from grpcio-tools with the Python, gRPC and mypy-protobuf
generators (type stubs for messages and stubs), drops the gRPC modules of files
that declare no service, and writes wagate/v1/__init__.py, which re-exports
every message, enum and stub so that ``from wagate import v1`` is enough.

Run it with the ``dev`` extra installed: ``python scripts/generate.py``. The
output depends only on the pinned tool versions, so a second run changes
nothing (scripts/test-clients checks that).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from grpc_tools import protoc

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent / "src"
OUT = PACKAGE_ROOT / "wagate" / "v1"
PROTO_ROOT = HERE.parents[2] / "proto"
BIN = Path(sys.executable).parent


def plugin(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if path is None:
        sys.exit(f"{name} not found: install the dev extra (pip install -e '.[dev]')")
    return path


def main() -> None:
    protos = sorted(p.relative_to(PROTO_ROOT).as_posix() for p in (PROTO_ROOT / "wagate" / "v1").glob("*.proto"))
    for old in OUT.glob("*_pb2*.py*"):
        old.unlink()
    OUT.mkdir(parents=True, exist_ok=True)
    well_known = Path(protoc.__file__).parent / "_proto"
    descriptors = Path(tempfile.mkdtemp()) / "wagate.binpb"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--plugin=protoc-gen-mypy={plugin('protoc-gen-mypy')}",
        f"--plugin=protoc-gen-mypy_grpc={plugin('protoc-gen-mypy_grpc')}",
        f"--python_out={PACKAGE_ROOT}",
        f"--grpc_python_out={PACKAGE_ROOT}",
        f"--mypy_out=quiet:{PACKAGE_ROOT}",
        f"--mypy_grpc_out=quiet:{PACKAGE_ROOT}",
        f"--descriptor_set_out={descriptors}",
        *protos,
    ]
    if protoc.main(args) != 0:
        sys.exit("protoc failed")

    files = descriptor_pb2.FileDescriptorSet.FromString(descriptors.read_bytes()).file
    shutil.rmtree(descriptors.parent)
    lines = [
        '"""The wagate.v1 contract (proto/wagate/v1), generated: do not edit.',
        "",
        "Every message, enum and service stub of the contract, re-exported from the",
        "modules generated per .proto file (``*_pb2`` and ``*_pb2_grpc``).",
        "Regenerate with ``python scripts/generate.py``.",
        '"""',
        "",
    ]
    exported: list[str] = []
    for file in sorted(files, key=lambda f: f.name):
        stem = Path(file.name).stem
        module_name = f"wagate.v1.{stem}_pb2"
        names = sorted([*(m.name for m in file.message_type), *(e.name for e in file.enum_type)])
        services = sorted(s.name for s in file.service)
        grpc_module = OUT / f"{stem}_pb2_grpc.py"
        if not services:
            grpc_module.unlink()
            grpc_module.with_suffix(".pyi").unlink()
        if names:
            lines.append(f"from {module_name} import (")
            lines.extend(f"    {name} as {name}," for name in names)
            lines.append(")")
            exported.extend(names)
        if services:
            stubs = [f"{service}Stub" for service in services]
            lines.append(f"from {module_name}_grpc import (")
            lines.extend(f"    {stub} as {stub}," for stub in stubs)
            lines.append(")")
            exported.extend(stubs)
    lines.append("")
    lines.append("__all__ = [")
    lines.extend(f'    "{name}",' for name in sorted(exported))
    lines.append("]")
    (OUT / "__init__.py").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
