from localsearch.cli import main

if __name__ == "__main__":  # worker processes import this module too; only the real start runs
    raise SystemExit(main())
