"""Golden files: generation of tests/golden/schemas must match tests/golden/expected exactly."""

from __future__ import annotations

from codegen.generate.output import STAMP, existing_files
from tests.golden.regenerate import EXPECTED, golden_files

REGENERATE = "run `make golden`, review the diff and commit it"


def test_generated_package_matches_the_golden_files() -> None:
    generated = golden_files()
    expected = existing_files(EXPECTED)
    assert sorted(generated) == sorted(expected), REGENERATE
    drifted = [path for path in generated if generated[path] != expected[path]]
    assert drifted == [], f"{drifted} drifted from the golden files; {REGENERATE}"


def test_generation_is_byte_identical_across_runs() -> None:
    assert golden_files() == golden_files()


def test_every_module_is_stamped_with_its_source_and_py_typed_ships() -> None:
    files = golden_files()
    assert files["py.typed"] == ""
    for path, text in files.items():
        if path.endswith(".py"):
            first, second = text.splitlines()[:2]
            assert first == STAMP, path
            assert second.startswith("# source: "), path
    assert "schemas/com/example/shop/order.avsc" in files["com/example/shop.py"].splitlines()[1]


def test_one_module_per_namespace_and_per_proto_file() -> None:
    files = golden_files()
    assert {p for p in files if p.endswith(".py")} == {
        "__init__.py",
        "_default.py",
        "com/__init__.py",
        "com/example/__init__.py",
        "com/example/common.py",
        "com/example/shop.py",
        "shipping/__init__.py",
        "shipping/v1/__init__.py",
        "shipping/v1/address.py",
        "shipping/v1/address_pb2.py",
        "shipping/v1/shipment.py",
        "shipping/v1/shipment_pb2.py",
    }
    assert {p for p in files if p.endswith(".pyi")} == {
        "shipping/v1/address_pb2.pyi",
        "shipping/v1/shipment_pb2.pyi",
    }
