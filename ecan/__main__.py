from ecan.cli.main import run

run()
