"""Terraform on this machine (localcloud/deploy/terraform.py): where the AWS provider comes
from (a filesystem mirror offline, a plugin cache online), and the version check."""

import os

from localcloud.deploy.terraform import (
    check_terraform,
    find_mirror,
    mirror_versions,
    provider_setup,
    write_cli_config,
)


def test_mirror_layouts_and_cli_config(tmp_path):
    unpacked = tmp_path / "a" / "registry.terraform.io" / "hashicorp" / "aws" / "5.1.0"
    (unpacked / "linux_amd64").mkdir(parents=True)
    (unpacked / "linux_amd64" / "terraform-provider-aws_v5.1.0_x5").write_text("")
    packed = tmp_path / "b" / "registry.terraform.io" / "hashicorp" / "aws"
    packed.mkdir(parents=True)
    (packed / "terraform-provider-aws_5.2.0_linux_amd64.zip").write_text("")
    assert mirror_versions(tmp_path / "a") == ["5.1.0"]
    assert mirror_versions(tmp_path / "b") == ["5.2.0"]
    assert mirror_versions(tmp_path / "none") == []
    assert find_mirror({"LOCALCLOUD_PROVIDER_MIRROR": str(tmp_path / "b")}) == tmp_path / "b"
    config = write_cli_config(tmp_path / "rc", tmp_path / "a")
    assert f'path = "{tmp_path / "a"}"' in config.read_text()
    env = {
        "LOCALCLOUD_OFFLINE": "1",
        "LOCALCLOUD_PROVIDER_MIRROR": str(tmp_path / "a"),
        "HOME": str(tmp_path),
    }
    changes, note = provider_setup(env, tmp_path / "out" / "rc")
    assert changes == {"TF_CLI_CONFIG_FILE": str(tmp_path / "out" / "rc")}
    assert "unreachable" in note
    # A user whose own CLI configuration says where providers come from is left alone.
    (tmp_path / "own.rc").write_text("provider_installation { direct {} }\n")
    env["TF_CLI_CONFIG_FILE"] = str(tmp_path / "own.rc")
    assert provider_setup(env, tmp_path / "out" / "rc")[0] == {}


def test_provider_download_cached_across_runs_when_the_registry_answers(tmp_path, monkeypatch):
    monkeypatch.setattr("localcloud.deploy.terraform.registry_reachable", lambda timeout: True)
    env = {"HOME": str(tmp_path)}
    changes, note = provider_setup(env, tmp_path / "rc")
    cache = tmp_path / ".cache" / "localcloud" / "terraform-plugins"
    assert changes == {
        "TF_PLUGIN_CACHE_DIR": str(cache),
        "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE": "true",
    }
    assert cache.is_dir()
    assert str(cache) in note
    assert not (tmp_path / "rc").exists()  # no mirror configuration when online
    # A user who already has a cache keeps it.
    assert provider_setup({**env, "TF_PLUGIN_CACHE_DIR": "/c"}, tmp_path / "rc")[0] == {}
    (tmp_path / ".terraformrc").write_text('plugin_cache_dir = "/mine"\n')
    assert provider_setup(env, tmp_path / "rc")[0] == {}


def test_check_terraform_on_this_machine():
    version = check_terraform(dict(os.environ))
    assert tuple(int(n) for n in version.split(".")[:2]) >= (1, 3)
