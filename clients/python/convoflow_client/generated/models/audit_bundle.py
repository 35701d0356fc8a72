from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.audit_bundle_files import AuditBundleFiles
    from ..models.audit_bundle_manifest import AuditBundleManifest


T = TypeVar("T", bound="AuditBundle")


@_attrs_define
class AuditBundle:
    """A sealed audit bundle (README, Auditing): check it offline with `convoflow audit verify`.

    Attributes:
        manifest (AuditBundleManifest): Conversation, tenant, export time, exporter version, run ids, pack hashes, files
            with their SHA-256, the decision chain's length and last link, and the keyed seal.
        files (AuditBundleFiles): `history/<run id>.json` (Temporal's JSON history), `packs/<hash>.json` and
            `decisions.json`.
    """

    manifest: AuditBundleManifest
    files: AuditBundleFiles
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        manifest = self.manifest.to_dict()

        files = self.files.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "manifest": manifest,
                "files": files,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_bundle_files import AuditBundleFiles  # noqa: PLC0415
        from ..models.audit_bundle_manifest import AuditBundleManifest  # noqa: PLC0415

        d = dict(src_dict)
        manifest = AuditBundleManifest.from_dict(d.pop("manifest"))

        files = AuditBundleFiles.from_dict(d.pop("files"))

        audit_bundle = cls(
            manifest=manifest,
            files=files,
        )

        audit_bundle.additional_properties = d
        return audit_bundle

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
