from riskcheck.cli import main

# Guarded: a process the report spawns (riskcheck.report.second_process) imports this module, and must not run
# the command again.
if __name__ == "__main__":
    main()
