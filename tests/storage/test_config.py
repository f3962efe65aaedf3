from pathlib import Path

from app.config import Settings
from app.storage import store_for
from app.storage.file import FileStore


class TestStorageUrl:
    def test_the_default_is_a_file_store_under_var(self) -> None:
        settings = Settings(storage_url=None, storage_dir=None)
        assert settings.resolved_storage_url == Path("./var/documents").resolve().as_uri()

    def test_imwu_storage_dir_still_names_a_file_store(self, tmp_path: Path) -> None:
        """Deployments configured before IMWU_STORAGE_URL keep their documents."""
        settings = Settings(storage_url=None, storage_dir=tmp_path / "docs")
        store = store_for(settings.resolved_storage_url, settings)
        assert isinstance(store, FileStore)
        assert store.root == tmp_path / "docs"

    def test_the_url_wins_over_the_folder(self, tmp_path: Path) -> None:
        settings = Settings(storage_url="s3://bucket/prefix", storage_dir=tmp_path)
        assert settings.resolved_storage_url == "s3://bucket/prefix"
