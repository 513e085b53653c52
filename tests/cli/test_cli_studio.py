"""`mirrorface studio ...`: bad input is one error line (serving itself is tested in tests/studio)."""

import pytest

from mirrorface.cli.main import main


@pytest.mark.parametrize("args, message", [
    (["studio", "--host", "192.168.1.5"], "--token"),
    (["studio", "--port", "70000"], "--port"),
    (["studio", "--token", "short"], "at least 8"),
    (["studio", "render-study", "--babble", "{tmp}/none", "--workdir", "{tmp}"], "no babbling dataset"),
    (["studio", "analyze", "{tmp}/none.db"], "no study database"),
])
def test_bad_input_is_one_error_line(args, message, tmp_path, capsys):
    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0], err


def test_the_studio_commands_have_help(capsys):
    for args in (["studio", "--help"], ["studio", "render-study", "--help"], ["studio", "analyze", "--help"]):
        assert main(args) == 0
    assert "loopback" in capsys.readouterr().out
