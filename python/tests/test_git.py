"""Git source capture on save, against real repositories made with `git init`
in temporary folders and a real server: the recorded fields equal what git
itself says, and the diff digest equals one computed here from its
definition."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import numpy as np
import pytest

import modelry
from modelry import gitsource

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

IDENTITY = ["-c", "user.name=Modelry Test", "-c", "user.email=test@modelry.invalid", "-c", "commit.gpgsign=false"]


def git(repo, *args) -> str:
    return subprocess.run(["git", *IDENTITY, *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """A repository with one commit on main, an ignored folder and an origin with credentials."""
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    (r / "train.py").write_text("print('train')\n")
    (r / ".gitignore").write_text("out/\n")
    (r / "src").mkdir()
    (r / "src" / "lib.py").write_text("x = 1\n")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "first")
    git(r, "remote", "add", "origin", "https://ana:s3cret-token@git.example.com/acme/churn.git")
    return r


@pytest.fixture
def model_dir(tmp_path):
    d = tmp_path / "model"
    d.mkdir()
    (d / "weights.bin").write_bytes(os.urandom(64))
    return d


def expected_diff_digest(repo, base="HEAD") -> str:
    """The shared definition, computed independently of the SDK."""
    d = subprocess.run(["git", "diff", base, "--binary", "--no-color", "--no-ext-diff"], cwd=repo, check=True, capture_output=True).stdout
    listed = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "-z"], cwd=repo, check=True, capture_output=True).stdout
    for path in sorted(p for p in listed.split(b"\0") if p):
        full = repo / os.fsdecode(path)
        contents = os.readlink(full).encode() if full.is_symlink() else b"" if full.is_dir() else full.read_bytes()
        d += b"untracked " + path + b"\n" + hashlib.sha256(contents).hexdigest().encode() + b"\n"
    return "sha256:" + hashlib.sha256(d).hexdigest()


def test_clean_tree_records_remote_commit_branch(reg, name, repo, model_dir, monkeypatch):
    (repo / "out").mkdir()
    (repo / "out" / "cache.bin").write_bytes(b"ignored files do not make a tree dirty")
    monkeypatch.chdir(repo / "src")  # anywhere inside the work tree
    v = reg.save_files(name, model_dir, require_clean=True)
    assert v.source["git"] == {
        "remote": "https://git.example.com/acme/churn.git",  # the token is not recorded
        "commit": git(repo, "rev-parse", "HEAD"),
        "branch": "main",
    }
    assert reg.get(name, v.version).source["git"] == v.source["git"]  # stored, not only echoed


def test_dirty_tree_records_the_digest_of_its_changes(reg, name, repo, model_dir, monkeypatch):
    (repo / "train.py").write_text("print('train harder')\n")  # a tracked change
    (repo / "src" / "lib.py").unlink()  # a deletion
    (repo / "notes.md").write_text("untracked\n")
    (repo / "src" / "new.py").write_bytes(b"\x00binary\xff")
    (repo / "données d'été.txt").write_text("a path git would quote\n")
    os.symlink("train.py", repo / "link-to-train")  # an untracked link: its target counts
    nested = repo / "vendored"
    nested.mkdir()
    git(nested, "init", "-q")  # an untracked nested repository, listed as "vendored/"
    (repo / "out").mkdir()
    (repo / "out" / "x").write_text("ignored: not in the digest")
    monkeypatch.chdir(repo)
    v = reg.save_files(name, model_dir)
    g = v.source["git"]
    assert g["dirty"] is True and g["commit"] == git(repo, "rev-parse", "HEAD") and g["branch"] == "main"
    assert g["diff_digest"] == expected_diff_digest(repo)

    (repo / "out" / "x").write_text("changing an ignored file changes nothing")
    assert gitsource.capture(repo)["diff_digest"] == g["diff_digest"]
    (repo / "notes.md").write_text("an untracked file's contents count\n")
    assert gitsource.capture(repo)["diff_digest"] != g["diff_digest"]


def test_require_clean_refuses_a_dirty_tree_before_uploading(server, reg, name, repo, model_dir, monkeypatch):
    (repo / "train.py").write_text("changed\n")
    (repo / "scratch.txt").write_text("new\n")
    monkeypatch.chdir(repo)
    before = server.put_bytes()
    with pytest.raises(modelry.DirtyWorkTree) as e:
        reg.save_files(name, model_dir, require_clean=True)
    assert isinstance(e.value, modelry.InvalidArgument) and e.value.code == "DIRTY_WORK_TREE"
    assert sorted(e.value.paths) == ["scratch.txt", "train.py"]
    assert "train.py" in e.value.message and "scratch.txt" in e.value.message
    with pytest.raises(modelry.DirtyWorkTree):
        reg.save(name, {"w": np.ones(4)}, require_clean=True)
    assert server.settle(server.put_bytes, before) == before  # nothing was sent
    with pytest.raises(modelry.NotFound):
        reg.get_model(name)

    v = reg.save(name, {"w": np.ones(4)}, git=False)  # git=False skips capture altogether
    assert "git" not in v.source


def test_detached_head_other_remotes_and_a_repo_without_commits(reg, name, repo, model_dir, monkeypatch, tmp_path):
    first = git(repo, "rev-parse", "HEAD")
    (repo / "b.txt").write_text("b\n")
    git(repo, "add", "b.txt")
    git(repo, "commit", "-q", "-m", "second")
    git(repo, "checkout", "-q", "--detach", first)
    git(repo, "remote", "remove", "origin")
    git(repo, "remote", "add", "upstream", "https://git.example.com/up.git")
    git(repo, "remote", "add", "backup", "git@git.example.com:acme/backup.git")
    monkeypatch.chdir(repo)
    g = reg.save_files(name, model_dir).source["git"]
    assert g == {"remote": "git@git.example.com:acme/backup.git", "commit": first}  # no branch; first remote by name

    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "trunk")
    (empty / "a.py").write_text("a\n")
    (empty / "staged.py").write_text("staged\n")
    git(empty, "add", "staged.py")
    monkeypatch.chdir(empty)
    g = reg.save_files(name, model_dir).source["git"]
    empty_tree = git(empty, "hash-object", "-t", "tree", "/dev/null")  # no HEAD yet: the diff is against the empty tree
    assert g == {"branch": "trunk", "dirty": True, "diff_digest": expected_diff_digest(empty, empty_tree)}
    untracked_only = b"untracked a.py\n" + hashlib.sha256(b"a\n").hexdigest().encode() + b"\n"
    assert g["diff_digest"] != "sha256:" + hashlib.sha256(untracked_only).hexdigest()  # the staged file counts


def test_outside_a_work_tree(reg, name, model_dir, tmp_path, monkeypatch):
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    v = reg.save_files(name, model_dir, source={"run": {"system": "airflow", "id": "r1"}})
    assert v.source == {"run": {"system": "airflow", "id": "r1"}}
    with pytest.raises(modelry.InvalidArgument) as e:
        reg.save_files(name, model_dir, require_clean=True)
    assert e.value.code == "NO_GIT_WORK_TREE"
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))  # no git binary: no source, no error
    assert "git" not in reg.save_files(name, model_dir).source


def test_run_id_and_git_of_another_folder(reg, name, repo, model_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    v = reg.save_files(name, model_dir, git=repo, run_id="0123abcd")
    assert v.source["git"]["commit"] == git(repo, "rev-parse", "HEAD")
    assert v.source["run"] == {"system": "mlflow", "id": "0123abcd"}


@pytest.mark.parametrize("url,want", [
    ("https://user:tok@host.example/a.git", "https://host.example/a.git"),
    ("ssh://git@host.example:22/a.git", "ssh://host.example:22/a.git"),
    ("git@host.example:a.git", "git@host.example:a.git"),
    ("https://host.example/a@b.git", "https://host.example/a@b.git"),
    ("https://user:p@ss@host.example/a.git", "https://host.example/a.git"),
    ("/srv/git/a.git", "/srv/git/a.git"),
])
def test_credentials_are_stripped(url, want):
    assert gitsource.strip_credentials(url) == want


def test_the_cli_records_the_same_git_source(server, reg, name, repo, model_dir, monkeypatch, tmp_path):
    """The Go CLI is the reference: one dirty tree with every kind of change, pushed by both."""
    from conftest import ADMIN_TOKEN, _binary

    (repo / "train.py").write_text("print('changed')\n")
    (repo / "src" / "lib.py").unlink()
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")
    (repo / "notes é.md").write_bytes(b"\x00\xff untracked")
    os.symlink("train.py", repo / "link")
    (repo / "out").mkdir()
    (repo / "out" / "ignored").write_text("x")
    monkeypatch.chdir(repo / "src")
    env = dict(os.environ, MODELRY_URL=server.url, MODELRY_TOKEN=ADMIN_TOKEN, XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    p = subprocess.run([_binary(), "push", name, str(model_dir)], env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    by_cli = reg.get(name).source.get("git")
    if by_cli is None:
        pytest.skip("this modelry binary's push records no git source yet")
    by_sdk = reg.save_files(name, model_dir).source["git"]
    assert by_sdk == by_cli and by_sdk["dirty"] and by_sdk["remote"] == "https://git.example.com/acme/churn.git"
