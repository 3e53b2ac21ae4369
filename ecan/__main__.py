from ecan.cli.main import run

# Guarded: the image workers (multiprocessing, spawn) import the parent's __main__ module.
if __name__ == "__main__":
    run()
