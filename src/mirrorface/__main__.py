from mirrorface.cli.main import run

run()
