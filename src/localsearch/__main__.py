if __name__ == "__main__":  # worker processes import this module too; only the real start runs
    from localsearch.launch import main

    raise SystemExit(main())
